/*
 * blockkey: blocking keys and candidate pairs. See blockkey.h.
 *
 * Per kind: list (key, record) entries in record order, sort them by key
 * with a stable radix sort (so records stay in order within a key), and
 * walk the runs of equal keys, emitting every pair of a run no larger
 * than the cap. The pairs of all kinds are then radix-sorted and repeats
 * dropped. Radix sorts keep the cost linear: a 1M-record run gives tens
 * of millions of raw pairs, where qsort's comparator calls would cost
 * more than the blocking itself.
 */
#include "matchers/blockkey.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "etl/xalloc.h"

/* One key of one record. */
struct entry {
	uint64_t key;
	uint32_t rec;
};

/* A growable array of packed pairs. */
struct pairbuf {
	uint64_t *v;
	size_t	 n, cap;
};

_Static_assert(BLOCKKEY_KEYS_MAX >= NICKNAME_VARIANTS_MAX,
    "a key per nickname form");

static const char *const kind_names[BLOCKKEY_KINDS] = {
	"surname_dm_year", "dob", "postcode_initial", "nino", "uprn",
	"nickname_surname", "account", "debt_ref",
};

/*
 * One seed per kind, so that two kinds built from the same tags (none
 * today) could never share a key. Arbitrary odd constants; changing one
 * changes nothing but hash values, which are never stored.
 */
static const uint64_t kind_seed[BLOCKKEY_KINDS] = {
	0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL,
	0xd6e8feb86659fd93ULL, 0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL,
	0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL,
};

void
blockkey_opts_init(struct blockkey_opts *o)
{
	o->max_block = BLOCKKEY_MAX_BLOCK;
	o->kinds = BLOCKKEY_ALL;
}

const char *
blockkey_kind_name(enum blockkey_kind k)
{
	return (unsigned)k < BLOCKKEY_KINDS ? kind_names[k] : "?";
}

/* The hash of tags t1 and (unless t2 < 0) t2 of r, under k's seed. */
static uint64_t
key_hash(const struct compare_rec *r, enum blockkey_kind k, int t1, int t2)
{
	uint64_t v[2];
	size_t n = 1;

	v[0] = r->tag[t1];
	if (t2 >= 0)
		v[n++] = r->tag[t2];
	return XXH3_64bits_withSeed(v, n * sizeof(v[0]), kind_seed[k]);
}

/* Add key (t1, t2) to out[*np] when r has both tags. */
static void
key_add(const struct compare_rec *r, enum blockkey_kind k, int t1, int t2,
    uint64_t *out, size_t *np)
{
	if (!compare_has(r, (enum compare_tag)t1))
		return;
	if (t2 >= 0 && !compare_has(r, (enum compare_tag)t2))
		return;
	out[(*np)++] = key_hash(r, k, t1, t2);
}

size_t
blockkey_keys(const struct compare_rec *r, enum blockkey_kind k,
    uint64_t out[BLOCKKEY_KEYS_MAX])
{
	size_t n = 0;
	int t;

	switch (k) {
	case BLOCKKEY_SURNAME_DM_YEAR:
		key_add(r, k, COMPARE_T_SURNAME_DM, COMPARE_T_DOB_YEAR, out,
		    &n);
		key_add(r, k, COMPARE_T_SURNAME_DM_ALT, COMPARE_T_DOB_YEAR,
		    out, &n);
		break;
	case BLOCKKEY_DOB:
		key_add(r, k, COMPARE_T_DOB, -1, out, &n);
		break;
	case BLOCKKEY_POSTCODE_INITIAL:
		key_add(r, k, COMPARE_T_POSTCODE, COMPARE_T_INITIAL, out, &n);
		break;
	case BLOCKKEY_NINO:
		key_add(r, k, COMPARE_T_NINO, -1, out, &n);
		break;
	case BLOCKKEY_UPRN:
		key_add(r, k, COMPARE_T_UPRN, -1, out, &n);
		break;
	case BLOCKKEY_NICKNAME_SURNAME:
		for (t = COMPARE_T_NICK0; t <= COMPARE_T_NICK3; t++)
			key_add(r, k, t, COMPARE_T_SURNAME, out, &n);
		break;
	case BLOCKKEY_ACCOUNT:
		if (r->account != 0)
			out[n++] = XXH3_64bits_withSeed(&r->account,
			    sizeof(r->account), kind_seed[k]);
		break;
	case BLOCKKEY_DEBT_REF:
		for (t = 0; t < r->nrefs && n < BLOCKKEY_KEYS_MAX; t++)
			out[n++] = XXH3_64bits_withSeed(&r->refs[t],
			    sizeof(r->refs[t]), kind_seed[k]);
		break;
	default:
		break;
	}
	return n;
}

/* Counters of one radix pass: 16 bits a digit. */
#define RADIX_BUCKETS	(1u << 16)

/*
 * Stable LSD radix sort of n entries by key, 16 bits a pass; a pass in
 * which every entry has the same digit is skipped. 'tmp' holds n entries
 * and 'count' RADIX_BUCKETS. Returns the array holding the result (a or
 * tmp).
 */
static struct entry *
sort_entries(struct entry *a, struct entry *tmp, size_t n, size_t *count)
{
	struct entry *t;
	unsigned shift;
	size_t i, sum, c;

	for (shift = 0; shift < 64 && n > 0; shift += 16) {
		memset(count, 0, RADIX_BUCKETS * sizeof(count[0]));
		for (i = 0; i < n; i++)
			count[(a[i].key >> shift) & 0xffff]++;
		if (count[(a[0].key >> shift) & 0xffff] == n)
			continue;
		for (i = 0, sum = 0; i < RADIX_BUCKETS; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(a[i].key >> shift) & 0xffff]++] = a[i];
		t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

/* The same for packed pairs. */
static uint64_t *
sort_u64(uint64_t *a, uint64_t *tmp, size_t n, size_t *count)
{
	uint64_t *t;
	unsigned shift;
	size_t i, sum, c;

	for (shift = 0; shift < 64 && n > 0; shift += 16) {
		memset(count, 0, RADIX_BUCKETS * sizeof(count[0]));
		for (i = 0; i < n; i++)
			count[(a[i] >> shift) & 0xffff]++;
		if (count[(a[0] >> shift) & 0xffff] == n)
			continue;
		for (i = 0, sum = 0; i < RADIX_BUCKETS; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 0xffff]++] = a[i];
		t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

static void
pairbuf_add(struct pairbuf *pb, uint32_t a, uint32_t b)
{
	if (pb->n == pb->cap) {
		pb->cap = pb->cap ? pb->cap * 2 : 1024;
		pb->v = xreallocarray(pb->v, pb->cap, sizeof(pb->v[0]));
	}
	pb->v[pb->n++] = (uint64_t)a << 32 | b;
}

/*
 * Emit the pairs of block e[0..m) (records ascending, a record at most
 * once) or count it as capped.
 */
static void
block_take(const struct entry *e, size_t m, size_t cap,
    struct blockkey_kind_stats *ks, struct pairbuf *pb)
{
	uint64_t npairs = (uint64_t)m * (m - 1) / 2;
	size_t i, j;

	if (m > ks->largest)
		ks->largest = m;
	if (m < 2)
		return;
	if (m > cap) {
		ks->capped_blocks++;
		ks->capped_pairs += npairs;
		return;
	}
	ks->blocks++;
	ks->pairs += npairs;
	for (i = 0; i < m; i++)
		for (j = i + 1; j < m; j++)
			pairbuf_add(pb, e[i].rec, e[j].rec);
}

/* Scratch of one blockkey_pairs call, reused across kinds. */
struct scratch {
	struct entry *ent, *tmp;	/* cap entries each */
	size_t	 cap;
	size_t	*count;			/* RADIX_BUCKETS counters */
};

/* Block the records by kind k, adding pairs to pb. */
static void
block_kind(const struct compare_rec *recs, size_t n, enum blockkey_kind k,
    size_t cap, struct scratch *sc, struct blockkey_kind_stats *ks,
    struct pairbuf *pb)
{
	uint64_t keys[BLOCKKEY_KEYS_MAX];
	struct entry *s;
	size_t i, j, m, nk, ne = 0, start;

	for (i = 0; i < n; i++) {
		nk = blockkey_keys(&recs[i], k, keys);
		if (ne + nk > sc->cap) {
			sc->cap = sc->cap * 2 + BLOCKKEY_KEYS_MAX;
			sc->ent = xreallocarray(sc->ent, sc->cap,
			    sizeof(sc->ent[0]));
			sc->tmp = xreallocarray(sc->tmp, sc->cap,
			    sizeof(sc->tmp[0]));
		}
		for (j = 0; j < nk; j++) {
			sc->ent[ne].key = keys[j];
			sc->ent[ne].rec = (uint32_t)i;
			ne++;
		}
	}
	ks->keys = ne;
	s = sort_entries(sc->ent, sc->tmp, ne, sc->count);
	/*
	 * Walk the runs; within a run drop a record repeated (two of its
	 * keys equal, which only a hash collision can cause), in place.
	 */
	for (start = 0; start < ne; start = i) {
		m = 1;
		for (i = start + 1; i < ne && s[i].key == s[start].key; i++)
			if (s[i].rec != s[start + m - 1].rec)
				s[start + m++] = s[i];
		block_take(s + start, m, cap, ks, pb);
	}
}

int
blockkey_pairs(const struct compare_rec *recs, size_t n,
    const struct blockkey_opts *o, uint64_t **pairsp, size_t *npairs,
    struct blockkey_stats *st, struct err *e)
{
	struct blockkey_stats local;
	struct pairbuf pb = { NULL, 0, 0 };
	struct scratch sc;
	uint64_t *sorted, *ptmp;
	size_t i, nu;
	int k;

	*pairsp = NULL;
	*npairs = 0;
	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (o->max_block < 2)
		return err_set(e, ERR_CONFIG, "blocking cap %zu is below 2",
		    o->max_block);
	if (o->kinds == 0 || (o->kinds & ~BLOCKKEY_ALL) != 0)
		return err_set(e, ERR_CONFIG, "blocking kinds 0x%x are none "
		    "or unknown", o->kinds);
	if (n > BLOCKKEY_MAX_RECORDS)
		return err_set(e, ERR_LIMIT, "%zu records are too many to "
		    "block (at most %zu)", n, BLOCKKEY_MAX_RECORDS);

	sc.cap = n + 1;
	sc.ent = xreallocarray(NULL, sc.cap, sizeof(sc.ent[0]));
	sc.tmp = xreallocarray(NULL, sc.cap, sizeof(sc.tmp[0]));
	sc.count = xreallocarray(NULL, RADIX_BUCKETS, sizeof(sc.count[0]));
	for (k = 0; k < BLOCKKEY_KINDS; k++)
		if ((o->kinds >> k) & 1u)
			block_kind(recs, n, (enum blockkey_kind)k, o->max_block,
			    &sc, &st->kind[k], &pb);
	free(sc.ent);
	free(sc.tmp);

	ptmp = xreallocarray(NULL, pb.n + 1, sizeof(*ptmp));
	sorted = sort_u64(pb.v == NULL ? ptmp : pb.v, ptmp, pb.n, sc.count);
	free(sc.count);
	for (i = 0, nu = 0; i < pb.n; i++)
		if (nu == 0 || sorted[i] != sorted[nu - 1])
			sorted[nu++] = sorted[i];
	/* Keep whichever buffer holds the result; free the other. */
	if (sorted == ptmp)
		free(pb.v);
	else
		free(ptmp);
	for (k = 0; k < BLOCKKEY_KINDS; k++)
		st->pairs_raw += st->kind[k].pairs;
	st->pairs = nu;
	*pairsp = sorted;
	*npairs = nu;
	return 0;
}
