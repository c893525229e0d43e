/* The dashboard's embedded files (web/embed.sh, api/static.c): every file of
 * web/dashboard/ is there, byte for byte, with its type and an ETag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "static.h"

static void
test_files_as_on_disk(void **state)
{
        (void)state;
        assert_true(static_files_count >= 5);
        for (size_t i = 0; i < static_files_count; i++) {
                const struct static_file *f = &static_files[i];
                char path[256];
                snprintf(path, sizeof(path), "web/dashboard/%s", f->name);
                FILE *fp = fopen(path, "rb");
                assert_non_null(fp);
                unsigned char *buf = malloc(f->len + 1);
                assert_non_null(buf);
                assert_int_equal(fread(buf, 1, f->len + 1, fp), f->len);
                fclose(fp);
                assert_memory_equal(buf, f->data, f->len);
                free(buf);
                assert_ptr_equal(static_find(f->name), f);
                assert_true(f->etag[0] == '"' && f->etag[strlen(f->etag) - 1] == '"');
                assert_null(strchr(f->name, '/'));
        }
}

static void
test_types_and_unknown_names(void **state)
{
        (void)state;
        const struct static_file *f = static_find("index.html");
        assert_non_null(f);
        assert_string_equal(f->type, "text/html; charset=utf-8");
        assert_string_equal(static_find("app.js")->type, "text/javascript; charset=utf-8");
        assert_string_equal(static_find("app.css")->type, "text/css; charset=utf-8");
        assert_null(static_find(""));
        assert_null(static_find("../index.html"));
        assert_null(static_find("index.html/"));
        assert_null(static_find("INDEX.HTML"));
        /* two files, two tags */
        assert_string_not_equal(static_find("app.js")->etag, static_find("app.css")->etag);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_files_as_on_disk),
            cmocka_unit_test(test_types_and_unknown_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
