#include "etl/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* Prefix hashed before the key, so a fingerprint is not SHA-256(key). */
static const char fingerprint_label[] = "svod key fingerprint v1";

static const char hexdigits[] = "0123456789abcdef";

/* Put the pending OpenSSL error text in e's detail, and clear the queue. */
static int
keyfile_ssl_detail(struct err *e)
{
	char buf[256];
	unsigned long code;

	code = ERR_get_error();
	if (code == 0)
		return err_detail(e, "openssl: no error reported");
	ERR_error_string_n(code, buf, sizeof(buf));
	ERR_clear_error();
	return err_detail(e, "openssl: %s", buf);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Write all n bytes, retrying on EINTR and short writes. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * fsync the directory holding 'path', so that the new name survives a
 * crash as well as the contents.
 */
static int
sync_parent(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	if (strlen(path) >= sizeof(copy))
		return -1;
	strcpy(copy, path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
keyfile_generate(const char *path, struct err *e)
{
	unsigned char key[KEYFILE_KEY_LEN];
	char text[KEYFILE_HEX_LEN + 1];
	int fd = -1, rc = 0, created = 0;
	size_t i;

	if (RAND_bytes(key, sizeof(key)) != 1) {
		rc = err_set(e, ERR_CRYPTO,
		    "cannot get random bytes for key file '%s'", path);
		keyfile_ssl_detail(e);
		goto out;
	}
	for (i = 0; i < sizeof(key); i++) {
		text[2 * i] = hexdigits[key[i] >> 4];
		text[2 * i + 1] = hexdigits[key[i] & 0x0f];
	}
	text[KEYFILE_HEX_LEN] = '\n';

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			rc = err_set(e, ERR_IO,
			    "refusing to overwrite existing key file '%s'",
			    path);
			err_hint(e, "move the old key away only if no "
			    "published data still depends on it");
		} else {
			rc = err_set(e, ERR_IO, "cannot create key file "
			    "'%s': %s", path, strerror(errno));
		}
		goto out;
	}
	created = 1;
	/* The umask can only remove bits; make 0600 explicit anyway. */
	if (fchmod(fd, 0600) != 0 ||
	    write_all(fd, text, sizeof(text)) != 0 || fsync(fd) != 0) {
		rc = err_set(e, ERR_IO, "cannot write key file '%s': %s",
		    path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = err_set(e, ERR_IO, "cannot close key file '%s': %s",
		    path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (sync_parent(path) != 0) {
		rc = err_set(e, ERR_IO, "cannot sync the directory of key "
		    "file '%s': %s", path, strerror(errno));
		goto out;
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && created)
		unlink(path);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

int
keyfile_load(const char *path, unsigned char key[KEYFILE_KEY_LEN],
    struct err *e)
{
	/* One spare byte shows a file longer than hex + newline. */
	char text[KEYFILE_HEX_LEN + 2];
	struct stat st;
	size_t len = 0;
	ssize_t r;
	int fd = -1, rc = 0, hi, lo;
	size_t i;

	memset(key, 0, KEYFILE_KEY_LEN);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			rc = err_set(e, ERR_NOINPUT, "key file '%s' does "
			    "not exist", path);
		else
			rc = err_set(e, ERR_IO, "cannot open key file "
			    "'%s': %s", path, strerror(errno));
		goto out;
	}
	/* fstat the open file, so the mode checked is the file read. */
	if (fstat(fd, &st) != 0) {
		rc = err_set(e, ERR_IO, "cannot stat key file '%s': %s",
		    path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_CRYPTO, "key file '%s' is not a regular "
		    "file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		rc = err_set(e, ERR_CRYPTO, "key file '%s' is accessible by "
		    "group or others (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
		err_hint(e, "chmod 600 %s", path);
		goto out;
	}
	while (len < sizeof(text)) {
		r = read(fd, text + len, sizeof(text) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_set(e, ERR_IO, "cannot read key file "
			    "'%s': %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len == KEYFILE_HEX_LEN + 1 && text[KEYFILE_HEX_LEN] == '\n')
		len--;
	if (len != KEYFILE_HEX_LEN) {
		rc = err_set(e, ERR_CRYPTO, "key file '%s' is not %d hex "
		    "characters and a newline", path, KEYFILE_HEX_LEN);
		goto out;
	}
	for (i = 0; i < KEYFILE_KEY_LEN; i++) {
		hi = hexval((unsigned char)text[2 * i]);
		lo = hexval((unsigned char)text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			rc = err_set(e, ERR_CRYPTO, "key file '%s' holds a "
			    "character that is not hex", path);
			goto out;
		}
		key[i] = (unsigned char)(hi << 4 | lo);
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		OPENSSL_cleanse(key, KEYFILE_KEY_LEN);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

void
keyfile_fingerprint(const unsigned char key[KEYFILE_KEY_LEN],
    char out[KEYFILE_FINGERPRINT_LEN + 1])
{
	unsigned char msg[sizeof(fingerprint_label) - 1 + KEYFILE_KEY_LEN];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i;

	memcpy(msg, fingerprint_label, sizeof(fingerprint_label) - 1);
	memcpy(msg + sizeof(fingerprint_label) - 1, key, KEYFILE_KEY_LEN);
	if (EVP_Digest(msg, sizeof(msg), md, &mdlen, EVP_sha256(), NULL) != 1
	    || mdlen < KEYFILE_FINGERPRINT_LEN / 2) {
		ERR_clear_error();
		memset(out, '?', KEYFILE_FINGERPRINT_LEN);
	} else {
		for (i = 0; i < KEYFILE_FINGERPRINT_LEN / 2; i++) {
			out[2 * i] = hexdigits[md[i] >> 4];
			out[2 * i + 1] = hexdigits[md[i] & 0x0f];
		}
	}
	out[KEYFILE_FINGERPRINT_LEN] = '\0';
	OPENSSL_cleanse(msg, sizeof(msg));
	OPENSSL_cleanse(md, sizeof(md));
}
