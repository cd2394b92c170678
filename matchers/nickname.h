/*
 * nickname: the canonical form of a forename, so that Bill and William,
 * Peggy and Margaret, Mohammed and Muhammad compare as one name. A
 * compiled-in table maps a nickname or spelling variant to its canonical
 * forename; a name the table does not know is its own canonical form.
 * Canonical forms are fixed points: nickname_canonical() of a canonical
 * form returns it unchanged. Pure functions, no I/O, no allocation; safe
 * to call from several threads.
 *
 * Choices the table makes:
 *  - Spelling variants share one canonical spelling, the commonest in the
 *    UK: KATHERINE, KATHRYN, CATHY -> CATHERINE; STEVEN -> STEPHEN;
 *    MOHAMMED, MOHAMED, MOHAMMAD, MOHD, MD -> MUHAMMAD; SHAUN -> SEAN.
 *  - An ambiguous nickname's canonical form is its commonest reading in
 *    the UK (TED -> EDWARD, SANDY -> ALEXANDER, HARRY -> HENRY, JACKIE ->
 *    JACQUELINE); nickname_variants() lists the other readings (THEODORE;
 *    ALEXANDRA, SANDRA; HAROLD; JOHN).
 *  - Welsh and Irish forms that are true equivalents of an English name
 *    but are names in their own right (DAFYDD, DEWI, PADRAIG, SEAMUS,
 *    GWILYM, CATRIN) stay themselves; the English name is a variant.
 *    Names used in their own right with no English form alongside them
 *    in records (SEAN, SIAN, SIOBHAN, KATHLEEN) are not linked to one.
 */
#ifndef SVOD_NICKNAME_H
#define SVOD_NICKNAME_H

#include <stddef.h>

/* Most canonical forms one name can stand for (nickname_variants()). */
#define NICKNAME_VARIANTS_MAX	4

/* Longest name the table holds, in bytes; longer names are unknown. */
#define NICKNAME_NAME_MAX	15

/*
 * The canonical form of 'forename', a normalised forename (matchers/
 * normalize: upper-case ASCII; lower case is matched as upper case).
 * Returns a static upper-case string when the table knows the name, else
 * 'forename' itself (borrowed: valid as long as 'forename' is), and ""
 * when 'forename' is NULL. Cannot fail.
 */
const char	*nickname_canonical(const char *forename);

/*
 * Store in out[0..] the canonical forms 'forename' may stand for, most
 * likely first (out[0] is nickname_canonical(forename)), at most 'max'
 * of them. Returns how many were stored: 0 only when max is 0. Two names
 * may be the same person's when their lists share a form. The strings
 * are owned as for nickname_canonical().
 */
size_t	 nickname_variants(const char *forename, const char **out,
	    size_t max);

/* Number of names (nicknames and variant spellings) in the table. */
size_t	 nickname_table_size(void);

/*
 * The i-th name in the table, in strcmp() order, for tests and reports;
 * NULL when i >= nickname_table_size().
 */
const char	*nickname_at(size_t i);

#endif
