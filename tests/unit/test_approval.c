/* Signed approvals: the canonical message is exactly the documented bytes,
 * a signature verifies only over the same fields and key, and key lists and
 * files parse or fail naming the position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "approval.h"

static const struct approval_fields base = {
    "main", "rf_01", "inv_01", 300000, "bc1qexample", "2026-12-07T04:37:39.123Z",
};

static void
test_message_bytes(void **state)
{
        (void)state;
        char buf[512], err[200];
        int n = approval_message(&base, buf, sizeof(buf), err, sizeof(err));
        const char *want = "qpayd-approval-v1\nmain\nrf_01\ninv_01\n300000\nbc1qexample\n"
                           "2026-12-07T04:37:39.123Z\n";
        assert_int_equal(n, (int)strlen(want));
        assert_memory_equal(buf, want, strlen(want));
}

static void
test_message_refuses(void **state)
{
        (void)state;
        char buf[512], err[200];
        struct approval_fields f = base;
        f.destination = "bc1q\nmain";
        assert_int_equal(approval_message(&f, buf, sizeof(buf), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "destination"));
        f = base;
        f.destination = "bc1q\x1b[2Kbc1qshown"; /* a terminal escape hides the real one */
        assert_int_equal(approval_message(&f, buf, sizeof(buf), err, sizeof(err)), -1);
        f.destination = "bc1q main";
        assert_int_equal(approval_message(&f, buf, sizeof(buf), err, sizeof(err)), -1);
        f = base;
        f.amount_sats = 0;
        assert_int_equal(approval_message(&f, buf, sizeof(buf), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "amount_sats"));
        f = base;
        f.created_at = "2026-12-07 04:37:39.123+00";
        assert_int_equal(approval_message(&f, buf, sizeof(buf), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "created_at"));
        f = base;
        f.invoice_id = "";
        assert_int_equal(approval_message(&f, buf, sizeof(buf), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "invoice id"));
        f = base;
        assert_int_equal(approval_message(&f, buf, 20, err, sizeof(err)), -1);
}

static void
test_sign_verify(void **state)
{
        (void)state;
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        unsigned char pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
        crypto_sign_keypair(pk, sk);
        crypto_sign_keypair(pk2, sk2);
        char sig[APPROVAL_SIG_TEXT], err[200];
        assert_int_equal(approval_sign(sk, &base, sig, err, sizeof(err)), 0);
        assert_int_equal(strlen(sig), 88);
        assert_int_equal(approval_verify(pk, sig, &base, err, sizeof(err)), 0);
        /* Another key, amount, destination, invoice, store or time: worthless. */
        assert_int_equal(approval_verify(pk2, sig, &base, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "does not match"));
        struct approval_fields f = base;
        f.amount_sats = 300001;
        assert_int_equal(approval_verify(pk, sig, &f, err, sizeof(err)), -1);
        f = base;
        f.destination = "bc1qother";
        assert_int_equal(approval_verify(pk, sig, &f, err, sizeof(err)), -1);
        f = base;
        f.invoice_id = "inv_02";
        assert_int_equal(approval_verify(pk, sig, &f, err, sizeof(err)), -1);
        f = base;
        f.store = "other";
        assert_int_equal(approval_verify(pk, sig, &f, err, sizeof(err)), -1);
        f = base;
        f.created_at = "2026-12-07T04:37:39.124Z";
        assert_int_equal(approval_verify(pk, sig, &f, err, sizeof(err)), -1);
        /* Malformed signatures are named as such. */
        assert_int_equal(approval_verify(pk, "abc", &base, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "88 characters"));
        char bad[APPROVAL_SIG_TEXT];
        memcpy(bad, sig, sizeof(bad));
        bad[0] = bad[0] == 'A' ? 'B' : 'A';
        assert_int_equal(approval_verify(pk, bad, &base, err, sizeof(err)), -1);
}

static void
test_key_text(void **state)
{
        (void)state;
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        unsigned char pk_back[crypto_sign_PUBLICKEYBYTES], sk_back[crypto_sign_SECRETKEYBYTES];
        crypto_sign_keypair(pk, sk);
        char pkt[APPROVAL_PK_TEXT], skt[APPROVAL_SK_TEXT];
        approval_pk_format(pk, pkt);
        approval_sk_format(sk, skt);
        assert_int_equal(strlen(pkt), APPROVAL_PK_TEXT - 1);
        assert_int_equal(strncmp(pkt, "ed25519:", 8), 0);
        assert_int_equal(approval_pk_parse(pkt, pk_back), 0);
        assert_memory_equal(pk, pk_back, sizeof(pk));
        char skline[APPROVAL_SK_TEXT + 2];
        snprintf(skline, sizeof(skline), "%s\n", skt);
        assert_int_equal(approval_sk_parse(skline, sk_back), 0);
        assert_memory_equal(sk, sk_back, sizeof(sk));
        assert_int_equal(approval_pk_parse(pkt + 8, pk_back), -1); /* no prefix */
        assert_int_equal(approval_pk_parse("ed25519:AAAA", pk_back), -1);
        assert_int_equal(approval_sk_parse(pkt, sk_back), -1);
}

static void
test_keys_load(void **state)
{
        (void)state;
        unsigned char pk1[32], pk2[32], pk3[32], sk[64];
        crypto_sign_keypair(pk1, sk);
        crypto_sign_keypair(pk2, sk);
        crypto_sign_keypair(pk3, sk);
        char t1[APPROVAL_PK_TEXT], t2[APPROVAL_PK_TEXT], t3[APPROVAL_PK_TEXT];
        approval_pk_format(pk1, t1);
        approval_pk_format(pk2, t2);
        approval_pk_format(pk3, t3);
        char list[200], err[300];
        snprintf(list, sizeof(list), "%s, %s", t1, t2);
        char path[] = "/tmp/qpayd-approval-keys-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        fprintf(f, "# approvers\n\n%s  # alice\n", t3);
        fclose(f);
        struct approval_keys keys = {0};
        assert_int_equal(approval_keys_load(list, path, &keys, err, sizeof(err)), 0);
        assert_int_equal(keys.n, 3);
        assert_true(approval_keys_has(&keys, pk1) && approval_keys_has(&keys, pk3));
        approval_keys_free(&keys);

        snprintf(list, sizeof(list), "%s ed25519:nope", t1);
        assert_int_equal(approval_keys_load(list, NULL, &keys, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "key 2"));
        approval_keys_free(&keys);

        f = fopen(path, "w");
        fprintf(f, "%s\nnot-a-key\n", t1);
        fclose(f);
        assert_int_equal(approval_keys_load(NULL, path, &keys, err, sizeof(err)), -1);
        char want[100];
        snprintf(want, sizeof(want), "%s:2:", path);
        assert_non_null(strstr(err, want));
        approval_keys_free(&keys);
        unlink(path);
        assert_int_equal(approval_keys_load(NULL, path, &keys, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "cannot be read"));
        approval_keys_free(&keys);
}

int
main(void)
{
        if (sodium_init() < 0)
                return 1;
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_message_bytes), cmocka_unit_test(test_message_refuses),
            cmocka_unit_test(test_sign_verify),   cmocka_unit_test(test_key_text),
            cmocka_unit_test(test_keys_load),
        };
        return cmocka_run_group_tests_name("approval", tests, NULL, NULL);
}
