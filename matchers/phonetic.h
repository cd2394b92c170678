/*
 * phonetic: Double Metaphone codes of names (Lawrence Philips, "The
 * Double Metaphone Search Algorithm", C/C++ Users Journal, June 2000), for
 * blocking keys: two spellings that sound alike share a code. Pure
 * functions, no I/O, no allocation; safe to call from several threads.
 * Input is a name after matchers/normalize (upper-case ASCII; lower case
 * is folded, and anything but A-Z is treated as a word break).
 */
#ifndef SVOD_PHONETIC_H
#define SVOD_PHONETIC_H

#include <stddef.h>

/* The usual length of a Double Metaphone code, in characters. */
#define PHONETIC_DM_LEN		4

/* Longest code phonetic_dmetaphone_len() makes, in characters. */
#define PHONETIC_DM_LEN_MAX	32

/* Buffer size that always holds a code of PHONETIC_DM_LEN, with its NUL. */
#define PHONETIC_DM_CAP		(PHONETIC_DM_LEN + 1)

/* Bytes of 'name' considered; the rest is ignored. */
#define PHONETIC_INPUT_MAX	64

/*
 * Write the primary and alternate Double Metaphone codes of 'name'
 * (NUL-terminated, borrowed; NULL reads as "") into 'primary' and
 * 'alternate', each of 'cap' bytes (cap >= 1), as NUL-terminated strings
 * of at most PHONETIC_DM_LEN characters (fewer when cap is smaller).
 * Codes use the letters A (any vowel at the start), F H J K L M N P R S T,
 * X (the sound of "SH" and "CH") and 0 (zero: the sound of "TH").
 * 'alternate' equals 'primary' when the name has no second pronunciation;
 * both are "" for a name without letters. Cannot fail.
 */
void	 phonetic_dmetaphone(const char *name, char *primary,
	    char *alternate, size_t cap);

/*
 * As phonetic_dmetaphone(), with codes of at most 'maxlen' characters
 * (1..PHONETIC_DM_LEN_MAX; values outside are clamped to that range).
 */
void	 phonetic_dmetaphone_len(const char *name, size_t maxlen,
	    char *primary, char *alternate, size_t cap);

#endif
