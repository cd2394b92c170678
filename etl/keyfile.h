/*
 * keyfile: the council's secret pseudonymisation key on disk. A key file
 * holds 32 random bytes as 64 lower-case hex characters and a newline,
 * mode 0600. Loading refuses a file that group or others may access, so a
 * leaked permission stops the run instead of leaking the key. The key is
 * never printed or logged; a key is named only by its fingerprint.
 */
#ifndef SVOD_KEYFILE_H
#define SVOD_KEYFILE_H

#include "etl/err.h"

#define KEYFILE_KEY_LEN		32	/* bytes of key material */
#define KEYFILE_HEX_LEN		64	/* hex characters in the file */
#define KEYFILE_FINGERPRINT_LEN	16	/* hex characters, excluding the NUL */

/*
 * Create a new key file at 'path': 32 bytes from RAND_bytes, as hex plus a
 * newline, created with O_CREAT|O_EXCL and mode 0600, then fsync'd (the
 * file and its directory). Never overwrites: an existing path gives
 * ERR_IO. Returns 0, ERR_IO (create, write or sync failed; a partial file
 * is removed) or ERR_CRYPTO (no randomness).
 */
int	 keyfile_generate(const char *path, struct err *e);

/*
 * Read the key in 'path' into 'key'. Returns 0, or: ERR_NOINPUT when the
 * file does not exist; ERR_CRYPTO when group or others have any permission
 * bit (hint: chmod 600), when it is not a regular file, or when it is not
 * exactly 64 hex characters and an optional newline; ERR_IO when it cannot
 * be read. On failure 'key' is zeroed. Messages name the path, never the
 * contents.
 */
int	 keyfile_load(const char *path, unsigned char key[KEYFILE_KEY_LEN],
	    struct err *e);

/*
 * Write the 16-hex-character fingerprint of 'key' and a NUL to 'out': the
 * first 8 bytes of SHA-256("svod key fingerprint v1" || key). It names a
 * key in logs and run records without revealing it (the hash is one-way
 * and its input secret). Cannot fail in practice; if OpenSSL cannot hash,
 * 'out' is "????????????????", which is not a valid fingerprint.
 */
void	 keyfile_fingerprint(const unsigned char key[KEYFILE_KEY_LEN],
	    char out[KEYFILE_FINGERPRINT_LEN + 1]);

#endif
