/*
 * Tests for etl/keyfile: generation (mode 0600, no overwrite), loading
 * (refuses loose modes, bad length, bad hex, a missing file) and the
 * fingerprint. Each test works in its own temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "etl/keyfile.h"

struct tmp {
	char	 dir[64];
	char	 path[128];
};

static int
setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	strcpy(t->dir, "/tmp/svod-keyfile-XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/k.key", t->dir);
	*state = t;
	return 0;
}

static int
teardown_tmp(void **state)
{
	struct tmp *t = *state;

	unlink(t->path);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Write 'text' to t->path with 'mode' (set explicitly, past the umask). */
static void
write_file(struct tmp *t, const char *text, mode_t mode)
{
	int fd;

	unlink(t->path);
	fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static const char good_hex[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void
test_generate_mode_and_load(void **state)
{
	struct tmp *t = *state;
	unsigned char key[KEYFILE_KEY_LEN], again[KEYFILE_KEY_LEN];
	struct stat st;
	struct err e;

	err_clear(&e);
	assert_int_equal(keyfile_generate(t->path, &e), 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, KEYFILE_HEX_LEN + 1);
	assert_int_equal(keyfile_load(t->path, key, &e), 0);
	assert_int_equal(keyfile_load(t->path, again, &e), 0);
	assert_memory_equal(key, again, sizeof(key));
}

static void
test_generate_refuses_overwrite(void **state)
{
	struct tmp *t = *state;
	unsigned char key[KEYFILE_KEY_LEN], after[KEYFILE_KEY_LEN];
	struct err e;

	err_clear(&e);
	assert_int_equal(keyfile_generate(t->path, &e), 0);
	assert_int_equal(keyfile_load(t->path, key, &e), 0);
	assert_int_equal(keyfile_generate(t->path, &e), ERR_IO);
	assert_non_null(strstr(e.msg, t->path));
	assert_non_null(strstr(e.msg, "overwrite"));
	/* The old key is untouched. */
	assert_int_equal(keyfile_load(t->path, after, &e), 0);
	assert_memory_equal(key, after, sizeof(key));
}

static void
test_load_good_without_newline(void **state)
{
	struct tmp *t = *state;
	unsigned char key[KEYFILE_KEY_LEN];
	struct err e;

	write_file(t, good_hex, 0600);
	assert_int_equal(keyfile_load(t->path, key, &e), 0);
	assert_int_equal(key[0], 0x00);
	assert_int_equal(key[1], 0x11);
	assert_int_equal(key[31], 0xff);
}

static void
test_load_refuses_loose_modes(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0610, 0601, 0660 };
	struct tmp *t = *state;
	unsigned char key[KEYFILE_KEY_LEN];
	char text[KEYFILE_HEX_LEN + 2];
	struct err e;
	size_t i;

	snprintf(text, sizeof(text), "%s\n", good_hex);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(t, text, modes[i]);
		err_clear(&e);
		memset(key, 0xaa, sizeof(key));
		assert_int_equal(keyfile_load(t->path, key, &e), ERR_CRYPTO);
		assert_non_null(strstr(e.msg, t->path));
		assert_non_null(strstr(e.hint, "chmod 600"));
		assert_non_null(strstr(e.hint, t->path));
		/* The key is wiped on failure. */
		assert_int_equal(key[0], 0);
		assert_int_equal(key[31], 0);
	}
}

static void
test_load_refuses_bad_contents(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"00112233\n",
		/* 63 hex characters */
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeef\n",
		/* 65 hex characters */
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0",
		/* two newlines */
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\n",
		/* not hex */
		"g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		"00112233445566778899aabbccddeeff 0112233445566778899aabbccddeeff\n",
		/* CRLF is not a newline */
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\r\n",
	};
	struct tmp *t = *state;
	unsigned char key[KEYFILE_KEY_LEN];
	struct err e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(t, bad[i], 0600);
		err_clear(&e);
		assert_int_equal(keyfile_load(t->path, key, &e), ERR_CRYPTO);
		assert_non_null(strstr(e.msg, t->path));
		/* Never echo the contents. */
		assert_null(strstr(e.msg, "0011223344"));
	}
}

static void
test_load_missing(void **state)
{
	struct tmp *t = *state;
	unsigned char key[KEYFILE_KEY_LEN];
	struct err e;

	err_clear(&e);
	assert_int_equal(keyfile_load(t->path, key, &e), ERR_NOINPUT);
	assert_non_null(strstr(e.msg, t->path));
}

static void
test_load_directory(void **state)
{
	struct tmp *t = *state;
	unsigned char key[KEYFILE_KEY_LEN];
	struct err e;

	assert_int_equal(chmod(t->dir, 0700), 0);
	err_clear(&e);
	assert_int_not_equal(keyfile_load(t->dir, key, &e), 0);
}

static void
test_fingerprint(void **state)
{
	unsigned char key[KEYFILE_KEY_LEN];
	char fp[KEYFILE_FINGERPRINT_LEN + 1], fp2[KEYFILE_FINGERPRINT_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)((i % 16) * 0x11);
	keyfile_fingerprint(key, fp);
	keyfile_fingerprint(key, fp2);
	assert_string_equal(fp, fp2);
	assert_int_equal(strlen(fp), KEYFILE_FINGERPRINT_LEN);
	assert_int_equal(strspn(fp, "0123456789abcdef"),
	    KEYFILE_FINGERPRINT_LEN);
	/*
	 * Known value for the key 00112233..eeff twice, computed with
	 * (printf 'svod key fingerprint v1'; printf '0011..eeff0011..eeff' |
	 * xxd -r -p) | sha256sum | cut -c1-16
	 */
	assert_string_equal(fp, "f1ce4c98de312ced");
	/* Neither the key's hex nor any 8-char piece of it appears. */
	assert_null(strstr(fp, "00112233"));
	assert_null(strstr(fp, "44556677"));
	key[31] ^= 1;
	keyfile_fingerprint(key, fp2);
	assert_string_not_equal(fp, fp2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate_mode_and_load,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_generate_refuses_overwrite,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_good_without_newline,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_refuses_loose_modes,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_refuses_bad_contents,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_missing,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_directory,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
