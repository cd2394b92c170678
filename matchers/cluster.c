/*
 * cluster: linking, constrained union-find and stable resident ids. See
 * cluster.h for the rules. Inside, records are named by their rank in
 * (feed, key) order, never by their input index, so that no step can
 * depend on the order records were added in; indexes are restored only
 * in the results the queries return.
 *
 * Sorting is by LSD radix (stable), which keeps the nightly run linear:
 * records by (feed, key) in 16-byte chunks, tokens by 32 bits of their
 * XXH3 hash (a hash bucket may hold different tokens: they are told apart
 * by comparing all 16 bytes), overlaps by packed integers, scored links
 * by (weight, pair) and cannot-link ends by pair.
 *
 * Cannot-links live by rank as adjacency lists (cstart, cadj, each list
 * sorted); each union-find root keeps a circular list (chead, cnext) of
 * its records that have any, and their number of ends (cdeg). Joining two
 * roots splices their lists in O(1); the check walks the smaller side.
 */
#include "matchers/cluster.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "etl/xalloc.h"

#define NONE		UINT32_MAX
#define SLOTS		6	/* the five rules, then DOB */
#define SLOT_DOB	5
#define SLOT_SCORED	SLOTS	/* rule[] of a record joined by a scored link */
#define RULE_MASK	((1u << CLUSTER_RULES) - 1)
#define SMALL_SORT	32	/* runs shorter than this: insertion sort */

/* Token slot -> purpose. Slots 0..4 are the rules, strongest first. */
static const int slot_purpose[SLOTS] = {
	PSEUDONYM_NINO_STEM,
	PSEUDONYM_NHS_NUMBER,
	PSEUDONYM_NAME_DOB,
	PSEUDONYM_SURNAME_INITIAL_DOB_POSTCODE,
	PSEUDONYM_UPRN_SURNAME_DOB,
	PSEUDONYM_DOB
};

/*
 * What a cluster root knows: per feed, its NINO and DOB. The constraint
 * keeps each to one value per feed, so the "set" of the rule is a slot.
 */
struct facts {
	uint32_t nino[CLUSTER_FEEDS];	/* rank of the group's head, NONE */
	uint32_t dob[CLUSTER_FEEDS];
};

/* A scored link or a cannot-link, by input index, as added. */
struct pair {
	uint32_t a, b;
	double	 w;		/* the weight; 0 for a cannot-link */
};

struct cluster {
	size_t	 cap;		/* records allowed */
	size_t	 n;		/* records added */
	bool	 ran;
	unsigned skip;		/* bit s: rule slot s is not applied */

	/* By input index. */
	uint8_t	*feed;
	uint32_t *have;		/* bit s: slot s holds a token */
	size_t	*koff;		/* key offset in pool */
	char	*pool;		/* the keys, NUL-terminated */
	size_t	 pool_len, pool_cap;
	/* tok[s][i]: slot s of record i; freed after cluster_run. */
	unsigned char (*tok[SLOTS])[PSEUDONYM_TOKEN_LEN];
	uint32_t *rank;		/* input index -> rank */
	/* Added pairs; freed after cluster_run. */
	struct pair *slinks, *cannot;
	size_t	 nslinks, slinks_cap, ncannot, cannot_cap;

	/* By rank. */
	uint32_t *order;	/* rank -> input index */
	uint32_t *parent;	/* union-find; freed after cluster_run */
	uint32_t *size;
	struct facts *facts;	/* valid at roots */
	uint32_t *cl;		/* cluster index */
	int8_t	*rule;		/* strongest slot linking it, or -1 */
	double	*lweight;	/* strongest scored link; NULL: none added */
	/* Cannot-links (see the top); NULL when none; freed after run. */
	uint32_t *cstart;	/* rank r's partners: cadj[cstart[r]..[r+1]] */
	uint32_t *cadj;
	uint32_t *chead;	/* at roots: a record with partners, or NONE */
	uint32_t *cnext;	/* circular, within one root's records */
	uint32_t *cdeg;		/* at roots: cannot-link ends held */

	/* By cluster. */
	size_t	 nclusters;
	uint32_t *first;	/* input index of its first record */
	bool	*noid;
	size_t	*lstart;	/* its links: links[lstart[k]..lstart[k+1]] */
	uint64_t *res;		/* resident id, after cluster_assign_ids */

	struct cluster_link *links;
	size_t	 nlinks, links_cap;
	struct cluster_refusal *refs;
	size_t	 nrefs, refs_cap;
	struct cluster_event *events;
	size_t	 nevents;
	struct cluster_stats st;
};

/* A sort entry: two 64-bit keys, compared k0 then k1, and a payload. */
struct skey {
	uint64_t k0, k1;
	uint32_t idx;
};

/*
 * A token, its hash bucket and the rank of its record. The token travels
 * with the entry so that telling tokens apart reads memory in order.
 */
struct hent {
	uint32_t h;
	uint32_t r;
	unsigned char tok[PSEUDONYM_TOKEN_LEN];
};

/* Where sort_fk finds (feed, key) number idx. */
struct fk_src {
	const uint8_t *feed;	/* records: arrays by index */
	const size_t *koff;
	const char *pool;
	const struct cluster_prev *prev;	/* or previous lines */
};

struct cluster *
cluster_new(size_t n)
{
	struct cluster *c;
	int s;

	assert(n < NONE);
	c = xcalloc(1, sizeof *c);
	c->cap = n;
	c->feed = xmalloc(n + 1);
	c->have = xmalloc((n + 1) * sizeof *c->have);
	c->koff = xmalloc((n + 1) * sizeof *c->koff);
	c->pool_cap = 16 * n + 64;
	c->pool = xmalloc(c->pool_cap);
	/* Pages of absent tokens are never touched, so cost no memory. */
	for (s = 0; s < SLOTS; s++)
		c->tok[s] = xmalloc((n + 1) * PSEUDONYM_TOKEN_LEN);
	return c;
}

static void
free_run_state(struct cluster *c)
{
	int s;

	for (s = 0; s < SLOTS; s++) {
		free(c->tok[s]);
		c->tok[s] = NULL;
	}
	free(c->parent);
	free(c->size);
	free(c->facts);
	c->parent = c->size = NULL;
	c->facts = NULL;
	free(c->slinks);
	free(c->cannot);
	c->slinks = c->cannot = NULL;
	free(c->cstart);
	free(c->cadj);
	free(c->chead);
	free(c->cnext);
	free(c->cdeg);
	c->cstart = c->cadj = c->chead = c->cnext = c->cdeg = NULL;
}

void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	free_run_state(c);
	free(c->feed);
	free(c->have);
	free(c->koff);
	free(c->pool);
	free(c->rank);
	free(c->order);
	free(c->cl);
	free(c->rule);
	free(c->lweight);
	free(c->first);
	free(c->noid);
	free(c->lstart);
	free(c->res);
	free(c->links);
	free(c->refs);
	free(c->events);
	free(c);
}

int
cluster_add(struct cluster *c, const struct cluster_rec *r, struct err *e)
{
	size_t i = c->n, len;
	uint32_t have = 0;
	int s;

	assert(!c->ran);
	if (i >= c->cap)
		return err_set(e, ERR_LIMIT, "cannot add record %zu: the "
		    "clusterer was made for %zu", i, c->cap);
	if (r->feed >= CLUSTER_FEEDS)
		return err_set(e, ERR_DATA, "record %zu has feed %u, out of "
		    "range", i, (unsigned)r->feed);
	if (r->key == NULL)
		return err_set(e, ERR_DATA, "record %zu has no source key", i);
	len = strnlen(r->key, CLUSTER_KEY_MAX + 1);
	if (len > CLUSTER_KEY_MAX)
		return err_set(e, ERR_LIMIT, "record %zu: source key longer "
		    "than %d bytes", i, CLUSTER_KEY_MAX);
	if (c->pool_len + len + 1 > c->pool_cap) {
		c->pool_cap = 2 * c->pool_cap + len + 1;
		c->pool = xrealloc(c->pool, c->pool_cap);
	}
	memcpy(c->pool + c->pool_len, r->key, len + 1);
	c->koff[i] = c->pool_len;
	c->pool_len += len + 1;
	c->feed[i] = r->feed;
	for (s = 0; s < SLOTS; s++) {
		if (!(r->have & (1u << slot_purpose[s])) || r->tok == NULL)
			continue;
		memcpy(c->tok[s][i], r->tok[slot_purpose[s]], PSEUDONYM_TOKEN_LEN);
		have |= 1u << s;
	}
	c->have[i] = have;
	c->n++;
	return 0;
}

/* Check a pair of records for cluster_add_link / _cannot_link. */
static int
check_pair(const struct cluster *c, const char *what, uint32_t a, uint32_t b,
    size_t have, struct err *e)
{
	assert(!c->ran);
	if (a >= c->n || b >= c->n)
		return err_set(e, ERR_DATA, "%s %u-%u: only %zu records were "
		    "added", what, a, b, c->n);
	if (a == b)
		return err_set(e, ERR_DATA, "%s of record %u to itself", what,
		    a);
	/* Counts fit in 32 bits (sort payloads, cannot-link ends). */
	if (have >= UINT32_MAX / 2)
		return err_set(e, ERR_LIMIT, "too many %ss (%zu)", what, have);
	return 0;
}

static void
push_pair(struct pair **ap, size_t *np, size_t *capp, struct pair p)
{
	if (*np == *capp) {
		*capp = 2 * *capp + 64;
		*ap = xreallocarray(*ap, *capp, sizeof **ap);
	}
	(*ap)[(*np)++] = p;
}

int
cluster_add_link(struct cluster *c, uint32_t a, uint32_t b, double weight,
    struct err *e)
{
	int rc;

	if ((rc = check_pair(c, "scored link", a, b, c->nslinks, e)) != 0)
		return rc;
	if (isnan(weight))
		return err_set(e, ERR_DATA, "scored link %u-%u has no weight",
		    a, b);
	/* -0.0 and 0.0 are one weight: make them one bit pattern. */
	push_pair(&c->slinks, &c->nslinks, &c->slinks_cap,
	    (struct pair){ a, b, weight + 0.0 });
	return 0;
}

int
cluster_skip_rule(struct cluster *c, int purpose, struct err *e)
{
	int s;

	if (c->ran)
		return err_set(e, ERR_DATA, "rule %d skipped after the run",
		    purpose);
	for (s = 0; s < CLUSTER_RULES; s++)
		if (slot_purpose[s] == purpose) {
			c->skip |= 1u << s;
			return 0;
		}
	return err_set(e, ERR_DATA, "no linking rule has purpose %d",
	    purpose);
}

int
cluster_add_cannot_link(struct cluster *c, uint32_t a, uint32_t b,
    struct err *e)
{
	int rc;

	if ((rc = check_pair(c, "cannot-link", a, b, c->ncannot, e)) != 0)
		return rc;
	push_pair(&c->cannot, &c->ncannot, &c->cannot_cap,
	    (struct pair){ a, b, 0 });
	return 0;
}

/* Sorting */

/* Stable LSD radix sort of 'a' by (k0, k1), 16 bits a pass. */
static void
skey_sort(struct skey *a, size_t n)
{
	uint32_t (*cnt)[65536];
	struct skey *tmp, *src = a, *dst, *t;
	uint32_t off, v;
	size_t i;
	int d, j;

	if (n < 2)
		return;
	cnt = xcalloc(8, sizeof *cnt);
	for (i = 0; i < n; i++)
		for (d = 0; d < 8; d++)
			cnt[d][(d < 4 ? a[i].k1 >> (16 * d) :
			    a[i].k0 >> (16 * (d - 4))) & 0xffff]++;
	tmp = xmalloc(n * sizeof *tmp);
	dst = tmp;
	for (d = 0; d < 8; d++) {
		/* A digit with one value everywhere orders nothing. */
		for (j = 0; j < 65536 && cnt[d][j] == 0; j++)
			;
		if (cnt[d][j] == n)
			continue;
		for (off = 0, j = 0; j < 65536; j++) {
			v = cnt[d][j];
			cnt[d][j] = off;
			off += v;
		}
		for (i = 0; i < n; i++) {
			j = (d < 4 ? src[i].k1 >> (16 * d) :
			    src[i].k0 >> (16 * (d - 4))) & 0xffff;
			dst[cnt[d][j]++] = src[i];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
	free(tmp);
	free(cnt);
}

/* Stable LSD radix sort of 'a' by h; 'tmp' holds n entries. */
static void
hent_sort(struct hent *a, struct hent *tmp, size_t n)
{
	static const int shift[2] = { 0, 16 };
	uint32_t *cnt, off, v;
	size_t i;
	int p, j;

	cnt = xmalloc(65536 * sizeof *cnt);
	for (p = 0; p < 2; p++) {
		struct hent *src = p == 0 ? a : tmp, *dst = p == 0 ? tmp : a;

		memset(cnt, 0, 65536 * sizeof *cnt);
		for (i = 0; i < n; i++)
			cnt[(src[i].h >> shift[p]) & 0xffff]++;
		for (off = 0, j = 0; j < 65536; j++) {
			v = cnt[j];
			cnt[j] = off;
			off += v;
		}
		for (i = 0; i < n; i++)
			dst[cnt[(src[i].h >> shift[p]) & 0xffff]++] = src[i];
	}
	free(cnt);
}

static const char *
fk_key(const struct fk_src *fs, uint32_t idx, uint8_t *feedp)
{
	if (fs->prev != NULL) {
		*feedp = fs->prev[idx].feed;
		return fs->prev[idx].key;
	}
	*feedp = fs->feed[idx];
	return fs->pool + fs->koff[idx];
}

/* Compare (feed, key) bytewise, as strcmp does. */
static int
fk_cmp(const struct fk_src *fs, uint32_t x, uint32_t y)
{
	const char *kx, *ky;
	uint8_t fx, fy;

	kx = fk_key(fs, x, &fx);
	ky = fk_key(fs, y, &fy);
	if (fx != fy)
		return fx < fy ? -1 : 1;
	return strcmp(kx, ky);
}

/*
 * The 16 bytes at 'off' of the string "feed byte, then key", zero-padded,
 * as two big-endian integers: integer order is then byte order.
 */
static void
fk_chunk(const struct fk_src *fs, struct skey *sk, size_t off)
{
	const char *k;
	unsigned char b[16];
	uint8_t feed;
	size_t len, t, at;

	k = fk_key(fs, sk->idx, &feed);
	len = strlen(k);
	for (t = 0; t < 16; t++) {
		at = off + t;
		if (at == 0)
			b[t] = feed;
		else
			b[t] = at - 1 < len ? (unsigned char)k[at - 1] : 0;
	}
	sk->k0 = sk->k1 = 0;
	for (t = 0; t < 8; t++) {
		sk->k0 = sk->k0 << 8 | b[t];
		sk->k1 = sk->k1 << 8 | b[8 + t];
	}
}

/*
 * Sort entries (idx set) by (feed, key): radix on 16-byte chunks, then
 * each run that ties on a chunk full to its last byte again on the next
 * chunk; short runs by insertion.
 */
static void
sort_fk(const struct fk_src *fs, struct skey *sk, size_t n, size_t off)
{
	struct skey t;
	size_t i, j, a, b;

	/* Equal keys get equal chunks: callers rely on it. */
	for (i = 0; i < n; i++)
		fk_chunk(fs, &sk[i], off);
	/* Input already in order (an ORDER BY dump) costs one pass. */
	for (i = 1; i < n && fk_cmp(fs, sk[i - 1].idx, sk[i].idx) <= 0; i++)
		;
	if (i >= n)
		return;
	if (n < SMALL_SORT) {
		for (i = 1; i < n; i++) {
			t = sk[i];
			for (j = i; j > 0 && fk_cmp(fs, sk[j - 1].idx,
			    t.idx) > 0; j--)
				sk[j] = sk[j - 1];
			sk[j] = t;
		}
		return;
	}
	skey_sort(sk, n);
	for (a = 0; a < n; a = b) {
		for (b = a + 1; b < n && sk[b].k0 == sk[a].k0 &&
		    sk[b].k1 == sk[a].k1; b++)
			;
		/* A zero last byte: the keys ended, so they are equal. */
		if (b - a > 1 && (sk[a].k1 & 0xff) != 0)
			sort_fk(fs, sk + a, b - a, off + 16);
	}
}

/* Ranks */

static int
rank_records(struct cluster *c, struct err *e)
{
	struct fk_src fs = { c->feed, c->koff, c->pool, NULL };
	struct skey *sk;
	size_t r;
	int rc = 0;

	sk = xmalloc((c->n + 1) * sizeof *sk);
	for (r = 0; r < c->n; r++)
		sk[r].idx = (uint32_t)r;
	sort_fk(&fs, sk, c->n, 0);
	c->order = xmalloc((c->n + 1) * sizeof *c->order);
	c->rank = xmalloc((c->n + 1) * sizeof *c->rank);
	for (r = 0; r < c->n; r++) {
		/* Different chunks: different keys; equal: look closer. */
		if (r > 0 && sk[r - 1].k0 == sk[r].k0 &&
		    sk[r - 1].k1 == sk[r].k1 &&
		    fk_cmp(&fs, sk[r - 1].idx, sk[r].idx) == 0) {
			rc = err_set(e, ERR_DATA, "records %u and %u have the "
			    "same source key in feed %u", sk[r - 1].idx,
			    sk[r].idx, (unsigned)c->feed[sk[r].idx]);
			goto out;
		}
		c->order[r] = sk[r].idx;
		c->rank[sk[r].idx] = (uint32_t)r;
	}
out:
	free(sk);
	return rc;
}

/* Token groups */

/*
 * Group the records holding a token of slot s. Afterwards gid[r] is the
 * rank of the first record with r's token (NONE: no token) and nxt[r]
 * the next record with it (NONE: the last), so a group is a list in
 * rank order that starts where gid[r] == r.
 */
static void
group_slot(struct cluster *c, int s, struct hent *ents, struct hent *tmp,
    uint32_t *gid, uint32_t *nxt)
{
	const unsigned char (*tok)[PSEUDONYM_TOKEN_LEN] = c->tok[s];
	uint32_t head, last, ra, rl;
	size_t r, m = 0, a, b, j, l;

	for (r = 0; r < c->n; r++) {
		uint32_t i = c->order[r];

		gid[r] = nxt[r] = NONE;
		if (!(c->have[i] & (1u << s)))
			continue;
		memcpy(ents[m].tok, tok[i], PSEUDONYM_TOKEN_LEN);
		ents[m].h = (uint32_t)(XXH3_64bits_withSeed(ents[m].tok,
		    PSEUDONYM_TOKEN_LEN, (XXH64_hash_t)slot_purpose[s]) >> 32);
		ents[m].r = (uint32_t)r;
		m++;
	}
	/* Stable: records with one hash stay in rank order. */
	hent_sort(ents, tmp, m);
	for (a = 0; a < m; a = b) {
		for (b = a + 1; b < m && ents[b].h == ents[a].h; b++)
			;
		if (b - a == 1) {
			gid[ents[a].r] = ents[a].r;
			continue;
		}
		for (j = a; j < b; j++) {
			ra = ents[j].r;
			if (gid[ra] != NONE)
				continue;
			head = last = ra;
			gid[ra] = ra;
			for (l = j + 1; l < b; l++) {
				rl = ents[l].r;
				if (gid[rl] != NONE || memcmp(ents[l].tok,
				    ents[j].tok, PSEUDONYM_TOKEN_LEN) != 0)
					continue;
				gid[rl] = head;
				nxt[last] = rl;
				last = rl;
			}
		}
	}
}

/* Union-find */

static uint32_t
find(uint32_t *parent, uint32_t x)
{
	/* Path halving: every other node points to its grandparent. */
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/* Would roots x and y together hold a same-feed conflict? Which one. */
static int
conflict(const struct facts *x, const struct facts *y, uint8_t *feedp)
{
	int f;

	for (f = 0; f < CLUSTER_FEEDS; f++) {
		*feedp = (uint8_t)f;
		if (x->nino[f] != NONE && y->nino[f] != NONE &&
		    x->nino[f] != y->nino[f])
			return CLUSTER_CONFLICT_NINO;
		if (x->dob[f] != NONE && y->dob[f] != NONE &&
		    x->dob[f] != y->dob[f])
			return CLUSTER_CONFLICT_DOB;
	}
	return 0;
}

static void
merge_facts(struct facts *into, const struct facts *from)
{
	int f;

	for (f = 0; f < CLUSTER_FEEDS; f++) {
		if (into->nino[f] == NONE)
			into->nino[f] = from->nino[f];
		if (into->dob[f] == NONE)
			into->dob[f] = from->dob[f];
	}
}

/* The rule value of slot s, or of a scored link. */
static int
slot_rule(int s)
{
	return s == SLOT_SCORED ? CLUSTER_RULE_SCORED : slot_purpose[s];
}

/*
 * Would joining roots ra and rb put a cannot-link pair into one cluster?
 * Then *xp (in ra's cluster) and *yp (in rb's) get the pair: the first
 * found walking the side with fewer cannot-link ends (ties: the smaller
 * root), its records in list order, each one's partners in rank order.
 */
static bool
cannot_clash(struct cluster *c, uint32_t ra, uint32_t rb, uint32_t *xp,
    uint32_t *yp)
{
	uint32_t side = ra, other = rb, x, y;
	size_t j;

	if (c->cdeg == NULL || c->cdeg[ra] == 0 || c->cdeg[rb] == 0)
		return false;
	if (c->cdeg[rb] < c->cdeg[ra] ||
	    (c->cdeg[rb] == c->cdeg[ra] && rb < ra)) {
		side = rb;
		other = ra;
	}
	x = c->chead[side];
	do {
		for (j = c->cstart[x]; j < c->cstart[x + 1]; j++) {
			y = c->cadj[j];
			if (find(c->parent, y) != other)
				continue;
			*xp = side == ra ? x : y;
			*yp = side == ra ? y : x;
			return true;
		}
		x = c->cnext[x];
	} while (x != c->chead[side]);
	return false;
}

static void
add_refusal(struct cluster *c, struct cluster_refusal rf)
{
	if (c->nrefs == c->refs_cap) {
		c->refs_cap = 2 * c->refs_cap + 64;
		c->refs = xreallocarray(c->refs, c->refs_cap,
		    sizeof *c->refs);
	}
	c->refs[c->nrefs++] = rf;
}

/*
 * Join the clusters of ranks a and b (by slot s, or SLOT_SCORED with
 * weight w), or record the refusal.
 */
static bool
try_union(struct cluster *c, uint32_t a, uint32_t b, int s, double w)
{
	uint32_t ra = find(c->parent, a), rb = find(c->parent, b), t, x, y;
	uint8_t feed;
	int why;

	if ((why = conflict(&c->facts[ra], &c->facts[rb], &feed)) != 0) {
		add_refusal(c, (struct cluster_refusal){ a, b, slot_rule(s),
		    (enum cluster_conflict)why, feed, NONE, NONE });
		c->st.refused++;
		return false;
	}
	if (cannot_clash(c, ra, rb, &x, &y)) {
		add_refusal(c, (struct cluster_refusal){ a, b, slot_rule(s),
		    CLUSTER_CONFLICT_CANNOT, c->feed[c->order[x]], x, y });
		c->st.refused_cannot++;
		return false;
	}
	/* Union by size; on a tie the earlier root stays the root. */
	if (c->size[ra] < c->size[rb] ||
	    (c->size[ra] == c->size[rb] && rb < ra)) {
		t = ra;
		ra = rb;
		rb = t;
	}
	c->parent[rb] = ra;
	c->size[ra] += c->size[rb];
	merge_facts(&c->facts[ra], &c->facts[rb]);
	if (c->cdeg != NULL && c->cdeg[rb] != 0) {
		/* Splice the two circular lists. */
		if (c->chead[ra] == NONE)
			c->chead[ra] = c->chead[rb];
		else {
			t = c->cnext[c->chead[ra]];
			c->cnext[c->chead[ra]] = c->cnext[c->chead[rb]];
			c->cnext[c->chead[rb]] = t;
		}
		c->cdeg[ra] += c->cdeg[rb];
	}
	if (c->nlinks == c->links_cap) {
		c->links_cap = 2 * c->links_cap + 64;
		c->links = xreallocarray(c->links, c->links_cap,
		    sizeof *c->links);
	}
	c->links[c->nlinks++] = (struct cluster_link){ a, b, slot_rule(s),
	    s == SLOT_SCORED ? w : NAN };
	if (s == SLOT_SCORED) {
		/* Strongest first: the first weight is the one to keep. */
		c->st.scored_links++;
		if (isnan(c->lweight[a]))
			c->lweight[a] = w;
		if (isnan(c->lweight[b]))
			c->lweight[b] = w;
	} else
		c->st.links[s]++;
	if (c->rule[a] < 0)
		c->rule[a] = (int8_t)s;
	if (c->rule[b] < 0)
		c->rule[b] = (int8_t)s;
	return true;
}

/*
 * Apply rule s to its groups, in the order of their first record. Each
 * record joins the first earlier resident of its group that accepts it;
 * a record refused by all of them starts a resident of the group.
 */
static void
link_slot(struct cluster *c, int s, const uint32_t *gid, const uint32_t *nxt)
{
	uint32_t reps[CLUSTER_TRY_MAX], rx, x;
	size_t r, nreps, t;
	bool joined;

	for (r = 0; r < c->n; r++) {
		if (gid[r] != r || nxt[r] == NONE)
			continue;
		nreps = 0;
		reps[nreps++] = (uint32_t)r;
		for (x = nxt[r]; x != NONE; x = nxt[x]) {
			rx = find(c->parent, x);
			joined = false;
			for (t = 0; t < nreps && !joined; t++)
				joined = find(c->parent, reps[t]) == rx;
			for (t = 0; t < nreps && !joined; t++)
				joined = try_union(c, reps[t], x, s, NAN);
			if (joined)
				continue;
			if (nreps < CLUSTER_TRY_MAX)
				reps[nreps++] = x;
			else
				c->st.capped++;
		}
	}
}

/* A 64-bit key whose unsigned order is the order of doubles (not NaN). */
static uint64_t
weight_key(double w)
{
	uint64_t u;

	memcpy(&u, &w, sizeof u);
	return u >> 63 ? ~u : u | (uint64_t)1 << 63;
}

/*
 * Apply the scored links, strongest first; ties by (smaller rank, larger
 * rank). Duplicates of a pair sort together and are no-ops after the
 * first that joins.
 */
static void
link_scored(struct cluster *c)
{
	struct skey *sk;
	uint32_t lo, hi, ra, rb;
	size_t l, r;

	if (c->nslinks == 0)
		return;
	c->lweight = xmalloc((c->n + 1) * sizeof *c->lweight);
	for (r = 0; r < c->n; r++)
		c->lweight[r] = NAN;
	sk = xmalloc(c->nslinks * sizeof *sk);
	for (l = 0; l < c->nslinks; l++) {
		ra = c->rank[c->slinks[l].a];
		rb = c->rank[c->slinks[l].b];
		lo = ra < rb ? ra : rb;
		hi = ra < rb ? rb : ra;
		sk[l] = (struct skey){ ~weight_key(c->slinks[l].w),
		    (uint64_t)lo << 32 | hi, (uint32_t)l };
	}
	skey_sort(sk, c->nslinks);
	for (l = 0; l < c->nslinks; l++) {
		lo = (uint32_t)(sk[l].k1 >> 32);
		hi = (uint32_t)sk[l].k1;
		if (find(c->parent, lo) == find(c->parent, hi))
			continue;
		try_union(c, lo, hi, SLOT_SCORED, c->slinks[sk[l].idx].w);
	}
	free(sk);
}

/* Build the cannot-link lists by rank (see the top), once ranked. */
static void
cannot_setup(struct cluster *c)
{
	struct skey *sk;
	uint32_t ra, rb, x;
	size_t m = 2 * c->ncannot, j, na = 0, r;

	if (c->ncannot == 0)
		return;
	sk = xmalloc(m * sizeof *sk);
	for (j = 0; j < c->ncannot; j++) {
		ra = c->rank[c->cannot[j].a];
		rb = c->rank[c->cannot[j].b];
		sk[2 * j] = (struct skey){ (uint64_t)ra << 32 | rb, 0, 0 };
		sk[2 * j + 1] = (struct skey){ (uint64_t)rb << 32 | ra, 0, 0 };
	}
	skey_sort(sk, m);
	c->cstart = xcalloc(c->n + 2, sizeof *c->cstart);
	c->cadj = xmalloc(m * sizeof *c->cadj);
	for (j = 0; j < m; j++) {
		if (j > 0 && sk[j].k0 == sk[j - 1].k0)
			continue;	/* a repeated pair */
		x = (uint32_t)(sk[j].k0 >> 32);
		c->cadj[na++] = (uint32_t)sk[j].k0;
		c->cstart[x + 1]++;
	}
	free(sk);
	for (r = 0; r < c->n; r++)
		c->cstart[r + 1] += c->cstart[r];
	c->chead = xmalloc((c->n + 1) * sizeof *c->chead);
	c->cnext = xmalloc((c->n + 1) * sizeof *c->cnext);
	c->cdeg = xmalloc((c->n + 1) * sizeof *c->cdeg);
	for (r = 0; r < c->n; r++) {
		c->cdeg[r] = c->cstart[r + 1] - c->cstart[r];
		c->chead[r] = c->cdeg[r] != 0 ? (uint32_t)r : NONE;
		c->cnext[r] = (uint32_t)r;
	}
}

/* Number clusters by first record and put the links in cluster order. */
static void
finish(struct cluster *c)
{
	struct cluster_link *sorted;
	uint32_t *croot, k;
	size_t r, l;

	croot = xmalloc((c->n + 1) * sizeof *croot);
	c->cl = xmalloc((c->n + 1) * sizeof *c->cl);
	c->first = xmalloc((c->n + 1) * sizeof *c->first);
	c->noid = xmalloc((c->n + 1) * sizeof *c->noid);
	for (r = 0; r < c->n; r++)
		croot[r] = NONE;
	for (r = 0; r < c->n; r++) {
		uint32_t root = find(c->parent, (uint32_t)r);

		if (croot[root] == NONE) {
			croot[root] = (uint32_t)c->nclusters;
			c->first[c->nclusters] = c->order[r];
			c->noid[c->nclusters] = true;
			c->nclusters++;
		}
		k = croot[root];
		c->cl[r] = k;
		if (c->have[c->order[r]] & RULE_MASK)
			c->noid[k] = false;
	}
	free(croot);
	for (k = 0; k < c->nclusters; k++)
		c->st.no_identity += c->noid[k];

	/* Counting sort of the links by cluster, keeping their order. */
	c->lstart = xcalloc(c->nclusters + 2, sizeof *c->lstart);
	for (l = 0; l < c->nlinks; l++)
		c->lstart[c->cl[c->links[l].a] + 2]++;
	for (k = 2; k < c->nclusters + 2; k++)
		c->lstart[k] += c->lstart[k - 1];
	sorted = xmalloc((c->nlinks + 1) * sizeof *sorted);
	for (l = 0; l < c->nlinks; l++) {
		struct cluster_link lk = c->links[l];

		k = c->cl[lk.a];
		lk.a = c->order[lk.a];
		lk.b = c->order[lk.b];
		sorted[c->lstart[k + 1]++] = lk;
	}
	free(c->links);
	c->links = sorted;
	for (l = 0; l < c->nrefs; l++) {
		c->refs[l].a = c->order[c->refs[l].a];
		c->refs[l].b = c->order[c->refs[l].b];
		if (c->refs[l].x != NONE) {
			c->refs[l].x = c->order[c->refs[l].x];
			c->refs[l].y = c->order[c->refs[l].y];
		}
	}
}

/*
 * Number the distinct DOB tokens into facts[].dob. A hash table rather
 * than a sort: there are few distinct DOBs (tens of thousands), so the
 * table stays in cache. The numbers are only compared for equality, so
 * their order (which follows the records') never shows.
 */
static void
dob_ids(struct cluster *c)
{
	unsigned char (*key)[PSEUDONYM_TOKEN_LEN] = NULL, (*okey)[PSEUDONYM_TOKEN_LEN];
	uint32_t *id = NULL, *oid, used = 0;
	size_t cap = 0, ocap, r, p, q;

	for (r = 0; r < c->n; r++) {
		uint32_t i = c->order[r];
		const unsigned char *t = c->tok[SLOT_DOB][i];

		if (!(c->have[i] & (1u << SLOT_DOB)))
			continue;
		if (2 * ((size_t)used + 1) > cap) {
			okey = key;
			oid = id;
			ocap = cap;
			cap = cap == 0 ? 4096 : 2 * cap;
			key = xmalloc(cap * sizeof *key);
			id = xmalloc(cap * sizeof *id);
			memset(id, 0xff, cap * sizeof *id);
			for (q = 0; q < ocap; q++) {
				if (oid[q] == NONE)
					continue;
				p = XXH3_64bits(okey[q], PSEUDONYM_TOKEN_LEN) & (cap - 1);
				while (id[p] != NONE)
					p = (p + 1) & (cap - 1);
				memcpy(key[p], okey[q], PSEUDONYM_TOKEN_LEN);
				id[p] = oid[q];
			}
			free(okey);
			free(oid);
		}
		p = XXH3_64bits(t, PSEUDONYM_TOKEN_LEN) & (cap - 1);
		while (id[p] != NONE && memcmp(key[p], t, PSEUDONYM_TOKEN_LEN) != 0)
			p = (p + 1) & (cap - 1);
		if (id[p] == NONE) {
			memcpy(key[p], t, PSEUDONYM_TOKEN_LEN);
			id[p] = used++;
		}
		c->facts[r].dob[c->feed[i]] = id[p];
	}
	free(key);
	free(id);
}

int
cluster_run(struct cluster *c, struct err *e)
{
	struct hent *ents = NULL, *tmp = NULL;
	uint32_t *gid = NULL, *nxt = NULL;
	size_t n = c->n, r;
	int rc, s, f;

	assert(!c->ran);
	c->ran = true;
	c->st.records = n;
	if ((rc = rank_records(c, e)) != 0)
		goto out;
	c->parent = xmalloc((n + 1) * sizeof *c->parent);
	c->size = xmalloc((n + 1) * sizeof *c->size);
	c->facts = xmalloc((n + 1) * sizeof *c->facts);
	c->rule = xmalloc(n + 1);
	gid = xmalloc((n + 1) * sizeof *gid);
	nxt = xmalloc((n + 1) * sizeof *nxt);
	ents = xmalloc((n + 1) * sizeof *ents);
	tmp = xmalloc((n + 1) * sizeof *tmp);
	for (r = 0; r < n; r++) {
		c->parent[r] = (uint32_t)r;
		c->size[r] = 1;
		c->rule[r] = CLUSTER_RULE_NONE;
		for (f = 0; f < CLUSTER_FEEDS; f++)
			c->facts[r].nino[f] = c->facts[r].dob[f] = NONE;
	}
	/*
	 * The constraint's values: a DOB is named by its number in a table
	 * of the DOBs seen, a NINO by its group (found for its rule).
	 */
	dob_ids(c);
	cannot_setup(c);
	for (s = 0; s < CLUSTER_RULES; s++) {
		group_slot(c, s, ents, tmp, gid, nxt);
		if (slot_purpose[s] == PSEUDONYM_NINO_STEM)
			for (r = 0; r < n; r++)
				c->facts[r].nino[c->feed[c->order[r]]] =
				    gid[r];
		if (!((c->skip >> s) & 1u))
			link_slot(c, s, gid, nxt);
	}
	link_scored(c);
	finish(c);
	c->st.clusters = c->nclusters;
out:
	free(gid);
	free(nxt);
	free(ents);
	free(tmp);
	free_run_state(c);
	return rc;
}

/* Stable ids */

/* A (cluster, previous resident) pair and the records they share. */
struct overlap {
	uint32_t k;	/* cluster */
	uint32_t d;	/* previous resident, dense (in id order) */
	uint32_t n;
};

static int
event_cmp(const void *x, const void *y)
{
	const struct cluster_event *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->resident_id != b->resident_id)
		return a->resident_id < b->resident_id ? -1 : 1;
	if (a->other_id != b->other_id)
		return a->other_id < b->other_id ? -1 : 1;
	return 0;
}

/*
 * Sort the previous lines by (feed, key) and find each record's line:
 * match[rank] is the line's index or NONE.
 */
static int
match_prev(struct cluster *c, const struct cluster_prev *prev, size_t nprev,
    uint32_t *match, struct err *e)
{
	struct fk_src ps = { NULL, NULL, NULL, prev };
	const char *kr, *kp;
	struct skey *sk;
	uint8_t fr, fp;
	size_t j, r;
	int rc = 0, cmp;

	for (j = 0; j < nprev; j++)
		if (prev[j].feed >= CLUSTER_FEEDS || prev[j].key == NULL)
			return err_set(e, ERR_DATA, "previous assignment line "
			    "%zu has a bad feed or no key", j);
	sk = xmalloc((nprev + 1) * sizeof *sk);
	for (j = 0; j < nprev; j++)
		sk[j].idx = (uint32_t)j;
	sort_fk(&ps, sk, nprev, 0);
	for (j = 1; j < nprev; j++)
		if (sk[j - 1].k0 == sk[j].k0 && sk[j - 1].k1 == sk[j].k1 &&
		    fk_cmp(&ps, sk[j - 1].idx, sk[j].idx) == 0) {
			rc = err_set(e, ERR_DATA, "previous assignment lines "
			    "%u and %u name the same record", sk[j - 1].idx,
			    sk[j].idx);
			goto out;
		}
	/* Merge-join: both sides are in (feed, key) order. */
	for (r = 0, j = 0; r < c->n; r++) {
		match[r] = NONE;
		kr = c->pool + c->koff[c->order[r]];
		fr = c->feed[c->order[r]];
		for (; j < nprev; j++) {
			kp = prev[sk[j].idx].key;
			fp = prev[sk[j].idx].feed;
			cmp = fp != fr ? (fp < fr ? -1 : 1) : strcmp(kp, kr);
			if (cmp > 0)
				break;
			if (cmp == 0) {
				match[r] = sk[j++].idx;
				break;
			}
			c->st.prev_gone++;
		}
	}
	c->st.prev_gone += nprev - j;
out:
	free(sk);
	return rc;
}

static void
add_event(struct cluster *c, size_t *capp, enum cluster_event_kind kind,
    uint64_t id, uint64_t other)
{
	if (c->nevents == *capp) {
		*capp = 2 * *capp + 16;
		c->events = xreallocarray(c->events, *capp, sizeof *c->events);
	}
	c->events[c->nevents++] = (struct cluster_event){ kind, id, other };
}

int
cluster_assign_ids(struct cluster *c, const struct cluster_prev *prev,
    size_t nprev, uint64_t *next_id, struct err *e)
{
	struct overlap *ov = NULL;
	struct skey *sk = NULL;
	uint32_t *match = NULL, *dense = NULL, *nprev_of = NULL;
	uint32_t *nparts = NULL;
	uint64_t *pid = NULL;
	bool *ktaken = NULL, *dtaken = NULL;
	size_t j, r, m, a, b, nov = 0, nd = 0, k, evcap = 0;
	int rc;

	assert(c->ran);
	free(c->events);
	c->events = NULL;
	c->nevents = 0;
	c->st.inherited = c->st.new_ids = c->st.prev_gone = 0;
	c->st.merges = c->st.splits = 0;
	match = xmalloc((c->n + 1) * sizeof *match);
	if ((rc = match_prev(c, prev, nprev, match, e)) != 0)
		goto out;

	/* Dense previous ids, in id order. */
	sk = xmalloc((nprev + c->n + 1) * sizeof *sk);
	for (j = 0; j < nprev; j++)
		sk[j] = (struct skey){ prev[j].resident_id, 0, (uint32_t)j };
	skey_sort(sk, nprev);
	dense = xmalloc((nprev + 1) * sizeof *dense);
	pid = xmalloc((nprev + 1) * sizeof *pid);
	for (j = 0; j < nprev; j++) {
		if (j == 0 || sk[j].k0 != sk[j - 1].k0)
			pid[nd++] = sk[j].k0;
		dense[sk[j].idx] = (uint32_t)(nd - 1);
	}
	if (nd > 0 && pid[nd - 1] >= *next_id) {
		rc = err_set(e, ERR_DATA, "previous resident id %llu is not "
		    "below the next id %llu", (unsigned long long)pid[nd - 1],
		    (unsigned long long)*next_id);
		goto out;
	}

	/* Overlaps: (cluster, previous resident) with their counts. */
	for (m = 0, r = 0; r < c->n; r++)
		if (match[r] != NONE)
			sk[m++] = (struct skey){ (uint64_t)c->cl[r] << 32 |
			    dense[match[r]], 0, 0 };
	skey_sort(sk, m);
	ov = xmalloc((m + 1) * sizeof *ov);
	nprev_of = xcalloc(c->nclusters + 1, sizeof *nprev_of);
	nparts = xcalloc(nd + 1, sizeof *nparts);
	for (a = 0; a < m; a = b) {
		for (b = a + 1; b < m && sk[b].k0 == sk[a].k0; b++)
			;
		ov[nov] = (struct overlap){ (uint32_t)(sk[a].k0 >> 32),
		    (uint32_t)sk[a].k0, (uint32_t)(b - a) };
		nprev_of[ov[nov].k]++;
		nparts[ov[nov].d]++;
		nov++;
	}

	/*
	 * Grant ids from the largest overlap down; ties go to the smaller
	 * id, then the earlier cluster (the sort is stable and 'ov' is in
	 * cluster order).
	 */
	for (j = 0; j < nov; j++)
		sk[j] = (struct skey){ (uint64_t)(UINT32_MAX - ov[j].n) << 32 |
		    ov[j].d, 0, (uint32_t)j };
	skey_sort(sk, nov);
	free(c->res);
	c->res = xmalloc((c->nclusters + 1) * sizeof *c->res);
	ktaken = xcalloc(c->nclusters + 1, sizeof *ktaken);
	dtaken = xcalloc(nd + 1, sizeof *dtaken);
	for (j = 0; j < nov; j++) {
		const struct overlap *o = &ov[sk[j].idx];

		if (ktaken[o->k] || dtaken[o->d])
			continue;
		ktaken[o->k] = dtaken[o->d] = true;
		c->res[o->k] = pid[o->d];
		c->st.inherited++;
	}
	for (k = 0; k < c->nclusters; k++)
		if (!ktaken[k]) {
			c->res[k] = (*next_id)++;
			c->st.new_ids++;
		}

	/* History: every overlap whose cluster did not keep that id. */
	for (j = 0; j < nov; j++) {
		const struct overlap *o = &ov[j];

		if (c->res[o->k] == pid[o->d])
			continue;
		if (nprev_of[o->k] > 1) {
			add_event(c, &evcap, CLUSTER_EVENT_MERGE,
			    c->res[o->k], pid[o->d]);
			c->st.merges++;
		}
		if (nparts[o->d] > 1) {
			add_event(c, &evcap, CLUSTER_EVENT_SPLIT, pid[o->d],
			    c->res[o->k]);
			c->st.splits++;
		}
	}
	if (c->nevents > 1)
		qsort(c->events, c->nevents, sizeof *c->events, event_cmp);
out:
	free(match);
	free(sk);
	free(dense);
	free(pid);
	free(ov);
	free(nprev_of);
	free(nparts);
	free(ktaken);
	free(dtaken);
	return rc;
}

/* Queries */

size_t
cluster_nrecords(const struct cluster *c)
{
	return c->n;
}

size_t
cluster_count(const struct cluster *c)
{
	return c->nclusters;
}

int
cluster_feed(const struct cluster *c, size_t i)
{
	assert(i < c->n);
	return c->feed[i];
}

const char *
cluster_key(const struct cluster *c, size_t i)
{
	assert(i < c->n);
	return c->pool + c->koff[i];
}

uint32_t
cluster_of(const struct cluster *c, size_t i)
{
	assert(c->ran && i < c->n);
	return c->cl[c->rank[i]];
}

uint32_t
cluster_first(const struct cluster *c, size_t k)
{
	assert(c->ran && k < c->nclusters);
	return c->first[k];
}

int
cluster_rule(const struct cluster *c, size_t i)
{
	int s;

	assert(c->ran && i < c->n);
	s = c->rule[c->rank[i]];
	return s < 0 ? CLUSTER_RULE_NONE : slot_rule(s);
}

double
cluster_link_weight(const struct cluster *c, size_t i)
{
	assert(c->ran && i < c->n);
	return c->lweight == NULL ? NAN : c->lweight[c->rank[i]];
}

int
cluster_rule_at(size_t i)
{
	assert(i < CLUSTER_RULES);
	return slot_purpose[i];
}

const char *
cluster_rule_name(int rule)
{
	if (rule == CLUSTER_RULE_NONE)
		return "none";
	if (rule == CLUSTER_RULE_SCORED)
		return "scored";
	return pseudonym_purpose_name((enum pseudonym_purpose)rule);
}

bool
cluster_is_no_identity(const struct cluster *c, size_t k)
{
	assert(c->ran && k < c->nclusters);
	return c->noid[k];
}

const struct cluster_link *
cluster_links(const struct cluster *c, size_t k, size_t *np)
{
	assert(c->ran && k < c->nclusters);
	*np = c->lstart[k + 1] - c->lstart[k];
	return c->links + c->lstart[k];
}

const struct cluster_refusal *
cluster_refusals(const struct cluster *c, size_t *np)
{
	*np = c->nrefs;
	return c->refs;
}

uint64_t
cluster_resident(const struct cluster *c, size_t i)
{
	assert(c->res != NULL && i < c->n);
	return c->res[c->cl[c->rank[i]]];
}

uint64_t
cluster_resident_of(const struct cluster *c, size_t k)
{
	assert(c->res != NULL && k < c->nclusters);
	return c->res[k];
}

const struct cluster_event *
cluster_events(const struct cluster *c, size_t *np)
{
	*np = c->nevents;
	return c->events;
}

void
cluster_stats(const struct cluster *c, struct cluster_stats *st)
{
	*st = c->st;
}
