#include "approve_cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amount.h"
#include "approval.h"
#include "cli.h"
#include "httpc.h"

#define APPROVE_TOKEN_ENV   "QPAYD_ADMIN_TOKEN"
#define APPROVE_URL_ENV     "QPAYD_URL"
#define APPROVE_DEFAULT_URL "http://127.0.0.1:8080"

int
approve_cli_is_command(const char *cmd)
{
        return cmd != NULL && (strcmp(cmd, "approve") == 0 || strcmp(cmd, "approval-key") == 0);
}

static void
approve_cli_usage(FILE *out)
{
        fputs("usage: qpayd approval-key new --out FILE\n"
              "       qpayd approve --key FILE --store ID [--url URL] REFUND_ID\n"
              "\n"
              "approval-key new  writes an Ed25519 key pair: FILE (the secret key, mode 0600)\n"
              "                  and FILE.pub; prints the public key (ed25519:<base64>) to put\n"
              "                  in approval_public_keys. Never overwrites a file.\n"
              "approve           fetches the refund from the API, signs its store, id, invoice,\n"
              "                  amount, destination and created_at with FILE's key and posts\n"
              "                  the signature to its approve route.\n"
              "                  The admin token is read from $" APPROVE_TOKEN_ENV
              "; URL defaults to\n"
              "                  $" APPROVE_URL_ENV ", else " APPROVE_DEFAULT_URL ".\n"
              "exit codes: 0 done, 1 refused or failed (the reason is printed), 2 usage\n",
              out);
}

/* Creates path with mode, failing when it exists (O_EXCL: never overwrite a
 * key, never follow a planted link). */
static int
write_new_file(const char *path, mode_t mode, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0) {
                fprintf(stderr, "qpayd: %s: %s%s\n", path, strerror(errno),
                        errno == EEXIST ? " (refusing to overwrite a key file)" : "");
                return -1;
        }
        size_t len = strlen(text);
        int rc = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0
                     ? 0
                     : -1;
        if (rc != 0)
                fprintf(stderr, "qpayd: %s: cannot write: %s\n", path, strerror(errno));
        if (close(fd) != 0 && rc == 0) {
                fprintf(stderr, "qpayd: %s: cannot write: %s\n", path, strerror(errno));
                rc = -1;
        }
        if (rc != 0)
                unlink(path);
        return rc;
}

static int
approval_key_new(const char *out)
{
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        char pkt[APPROVAL_PK_TEXT + 1], skt[APPROVAL_SK_TEXT + 1];
        crypto_sign_keypair(pk, sk);
        approval_pk_format(pk, pkt);
        approval_sk_format(sk, skt);
        sodium_memzero(sk, sizeof(sk));
        size_t k = strlen(skt); /* APPROVAL_SK_TEXT - 1 at most: room for the newline */
        skt[k] = '\n';
        skt[k + 1] = '\0';
        size_t n = strlen(out) + 5;
        char *pub = malloc(n);
        int rc = EXIT_FAILURE_;
        if (pub != NULL) {
                snprintf(pub, n, "%s.pub", out);
                char publine[APPROVAL_PK_TEXT + 2];
                snprintf(publine, sizeof(publine), "%s\n", pkt);
                if (write_new_file(out, 0600, skt) == 0) {
                        if (write_new_file(pub, 0644, publine) == 0) {
                                printf("%s\n", pkt);
                                rc = EXIT_OK;
                        } else {
                                unlink(out);
                        }
                }
        }
        sodium_memzero(skt, sizeof(skt));
        free(pub);
        return rc;
}

/* Reads the secret key file; refuses one that others may read, as sshd does. */
static int
read_secret_key(const char *path, unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
                fprintf(stderr, "qpayd: --key %s: %s\n", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
                fprintf(stderr,
                        "qpayd: --key %s: mode %04o lets others read the secret key "
                        "(chmod 600 it)\n",
                        path, (unsigned)(st.st_mode & 07777));
                close(fd);
                return -1;
        }
        char buf[APPROVAL_SK_TEXT + 16];
        ssize_t got = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[got > 0 ? got : 0] = '\0';
        int rc = 0;
        if (got <= 0 || approval_sk_parse(buf, sk) != 0) {
                fprintf(stderr,
                        "qpayd: --key %s: not a secret key written by `qpayd approval-key new`\n",
                        path);
                rc = -1;
        }
        sodium_memzero(buf, sizeof(buf));
        return rc;
}

/* Store and refund ids go into a URL path: only the characters ids have. */
static int
id_ok(const char *s)
{
        size_t n = strlen(s);
        return n > 0 && n <= 64 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static const char *
json_str(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The API's error message, or an excerpt of the body. */
static void
print_api_error(const char *what, const struct httpc_response *res)
{
        cJSON *doc = res->body ? cJSON_Parse(res->body) : NULL;
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(doc, "error");
        const char *code = json_str(err, "code"), *msg = json_str(err, "message");
        if (msg != NULL) {
                fprintf(stderr, "qpayd: %s: HTTP %ld %s: %s\n", what, res->status, code ? code : "",
                        msg);
        } else {
                char ex[200];
                httpc_excerpt(res->body, res->len, ex, sizeof(ex));
                fprintf(stderr, "qpayd: %s: HTTP %ld: %s\n", what, res->status, ex);
        }
        cJSON_Delete(doc);
}

struct approve_args {
        const char *key, *store, *url, *refund;
};

/* Fetches the refund, checks it is the one asked for, signs it and posts the
 * signature. */
static int
approve_run(const struct approve_args *a, const unsigned char sk[crypto_sign_SECRETKEYBYTES],
            const char *token)
{
        char url[1024];
        snprintf(url, sizeof(url), "%s/v1/stores/%s/refunds/%s", a->url, a->store, a->refund);
        struct httpc_request req = {.method = "GET", .url = url, .bearer = token};
        struct httpc_response res;
        if (httpc_perform(&req, &res) != 0) {
                fprintf(stderr, "qpayd: GET %s: %s\n", url, res.errmsg);
                httpc_response_free(&res);
                return EXIT_FAILURE_;
        }
        if (res.status != 200) {
                print_api_error("fetching the refund", &res);
                httpc_response_free(&res);
                return EXIT_FAILURE_;
        }
        cJSON *doc = cJSON_Parse(res.body);
        httpc_response_free(&res);
        /* The amount read as every amount is (integral, 1..21e14), never
         * through an unchecked double. */
        int64_t av = -1;
        char aerr[128];
        int bad_amount = amount_from_json(cJSON_GetObjectItemCaseSensitive(doc, "amount_sats"), 1,
                                          &av, aerr, sizeof(aerr)) != 0;
        struct approval_fields f = {json_str(doc, "store_id"),    json_str(doc, "id"),
                                    json_str(doc, "invoice_id"),  av,
                                    json_str(doc, "destination"), json_str(doc, "created_at")};
        int rc = EXIT_FAILURE_;
        char sig[APPROVAL_SIG_TEXT], err[300];
        if (f.store == NULL || f.refund_id == NULL || strcmp(f.store, a->store) != 0 ||
            strcmp(f.refund_id, a->refund) != 0 || bad_amount) {
                fprintf(stderr, "qpayd: the API's answer is not refund %s of store %s\n", a->refund,
                        a->store);
                goto out;
        }
        if (approval_sign(sk, &f, sig, err, sizeof(err)) != 0) {
                fprintf(stderr, "qpayd: refund %s cannot be signed: %s\n", a->refund, err);
                goto out;
        }
        printf("signing refund=%s store=%s invoice=%s amount_sats=%lld destination=%s "
               "created_at=%s\n",
               f.refund_id, f.store, f.invoice_id, (long long)f.amount_sats, f.destination,
               f.created_at);
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        char pkt[APPROVAL_PK_TEXT];
        crypto_sign_ed25519_sk_to_pk(pk, sk);
        approval_pk_format(pk, pkt);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "signature", sig);
        cJSON_AddStringToObject(body, "public_key", pkt);
        char *text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (text == NULL)
                goto out;
        char post[1100];
        snprintf(post, sizeof(post), "%s/approve", url);
        struct httpc_request preq = {.method = "POST",
                                     .url = post,
                                     .bearer = token,
                                     .content_type = "application/json",
                                     .body = text,
                                     .body_len = strlen(text)};
        if (httpc_perform(&preq, &res) != 0) {
                fprintf(stderr,
                        "qpayd: POST %s: %s (the approval may or may not be stored: "
                        "GET the refund to see)\n",
                        post, res.errmsg);
        } else if (res.status != 200) {
                print_api_error("approving the refund", &res);
        } else {
                printf("approved refund=%s store=%s public_key=%s\n", a->refund, a->store, pkt);
                rc = EXIT_OK;
        }
        httpc_response_free(&res);
        free(text);
out:
        cJSON_Delete(doc);
        return rc;
}

int
approve_cli_main(int argc, char **argv)
{
        enum { OPT_KEY = 0x300, OPT_STORE, OPT_URL, OPT_OUT };
        static const struct option longopts[] = {{"key", required_argument, NULL, OPT_KEY},
                                                 {"store", required_argument, NULL, OPT_STORE},
                                                 {"url", required_argument, NULL, OPT_URL},
                                                 {"out", required_argument, NULL, OPT_OUT},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
        struct approve_args a = {0};
        const char *out = NULL;
        int opt;
        while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                if (opt == OPT_KEY)
                        a.key = optarg;
                else if (opt == OPT_STORE)
                        a.store = optarg;
                else if (opt == OPT_URL)
                        a.url = optarg;
                else if (opt == OPT_OUT)
                        out = optarg;
                else if (opt == 'h') {
                        approve_cli_usage(stdout);
                        return EXIT_OK;
                } else {
                        approve_cli_usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (sodium_init() < 0 || httpc_global_init() != 0) {
                fprintf(stderr, "qpayd: libsodium or libcurl failed to initialise\n");
                return EXIT_FAILURE_;
        }
        int rest = argc - optind;
        const char *cmd = rest > 0 ? argv[optind] : "";
        if (strcmp(cmd, "approval-key") == 0) {
                if (rest != 2 || strcmp(argv[optind + 1], "new") != 0 || out == NULL || a.key ||
                    a.store || a.url) {
                        fprintf(stderr, "qpayd: usage: qpayd approval-key new --out FILE\n");
                        return EXIT_USAGE;
                }
                return approval_key_new(out);
        }
        if (rest != 2 || a.key == NULL || a.store == NULL || out != NULL) {
                fprintf(stderr, "qpayd: usage: qpayd approve --key FILE --store ID [--url URL] "
                                "REFUND_ID\n");
                return EXIT_USAGE;
        }
        a.refund = argv[optind + 1];
        if (!id_ok(a.store) || !id_ok(a.refund)) {
                fprintf(stderr, "qpayd: --store and REFUND_ID may only hold letters, digits, _ "
                                "and -\n");
                return EXIT_USAGE;
        }
        if (a.url == NULL)
                a.url = getenv(APPROVE_URL_ENV) ? getenv(APPROVE_URL_ENV) : APPROVE_DEFAULT_URL;
        char base[512];
        snprintf(base, sizeof(base), "%s", a.url);
        for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
                base[n - 1] = '\0'; /* ".../" + "/v1/..." */
        a.url = base;
        const char *token = getenv(APPROVE_TOKEN_ENV);
        if (token == NULL || token[0] == '\0') {
                fprintf(stderr, "qpayd: approve: set %s to the store's admin token\n",
                        APPROVE_TOKEN_ENV);
                return EXIT_USAGE;
        }
        unsigned char sk[crypto_sign_SECRETKEYBYTES];
        if (read_secret_key(a.key, sk) != 0)
                return EXIT_FAILURE_;
        int rc = approve_run(&a, sk, token);
        sodium_memzero(sk, sizeof(sk));
        return rc;
}
