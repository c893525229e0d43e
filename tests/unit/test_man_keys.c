/* man/qpayd.toml.5.scd lists every key of config_print_reference() (the key
 * table that drives parsing), in its section, and no other: the man page
 * cannot silently fall behind a new key. Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAN_SOURCE "man/qpayd.toml.5.scd"

/* The scd text with scdoc's backslash escapes removed; the caller frees it. */
static char *
man_text(void)
{
        FILE *f = fopen(MAN_SOURCE, "r");
        if (f == NULL)
                fail_msg("cannot open %s (run from the repository root)", MAN_SOURCE);
        char *raw = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&raw, &len);
        int c;
        while ((c = fgetc(f)) != EOF) {
                if (c == '\\' && (c = fgetc(f)) == EOF)
                        break;
                fputc(c, m);
        }
        fclose(f);
        fclose(m);
        return raw;
}

static char *
reference(void)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        config_print_reference(f);
        fclose(f);
        return buf;
}

/* Whether the page has "*key* (" under its "## section" heading. */
static int
man_has_key(const char *text, const char *section, const char *key)
{
        char head[128], entry[128];
        snprintf(head, sizeof(head), "\n## %s\n", section);
        snprintf(entry, sizeof(entry), "\n*%s* (", key);
        const char *start = strstr(text, head);
        if (start == NULL)
                return 0;
        start += strlen(head);
        const char *end = strstr(start, "\n#");
        const char *hit = strstr(start - 1, entry);
        return hit != NULL && (end == NULL || hit < end);
}

static void
test_every_key_in_man_page(void **state)
{
        (void)state;
        char *text = man_text();
        char *ref = reference();
        int rows = 0, missing = 0;
        for (char *line = strtok(ref, "\n"); line != NULL; line = strtok(NULL, "\n")) {
                char section[64], key[64];
                if (sscanf(line, "| `%63[^`]` | `%63[^`]` |", section, key) != 2)
                        continue;
                rows++;
                if (!man_has_key(text, section, key)) {
                        print_error("%s: no entry *%s* under ## %s\n", MAN_SOURCE, key, section);
                        missing++;
                }
        }
        assert_true(rows > 60);
        assert_int_equal(missing, 0);

        /* No key the program does not know: as many entries as rows. */
        const char *keys = strstr(text, "\n# KEYS\n");
        const char *files = strstr(text, "\n# FILES\n");
        assert_non_null(keys);
        assert_non_null(files);
        int entries = 0;
        for (const char *p = keys; p != NULL && p < files; p = strchr(p + 1, '\n'))
                if (p[1] == '*' && strstr(p, "* (") != NULL &&
                    strstr(p, "* (") < strchr(p + 1, '\n'))
                        entries++;
        assert_int_equal(entries, rows);
        free(ref);
        free(text);
}

/* The lookup can say no: a key in the wrong section, or unknown. */
static void
test_lookup_can_fail(void **state)
{
        (void)state;
        char *text = man_text();
        assert_true(man_has_key(text, "[server]", "workers"));
        assert_false(man_has_key(text, "[database]", "workers"));
        assert_false(man_has_key(text, "[server]", "no_such_key"));
        free(text);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_key_in_man_page),
            cmocka_unit_test(test_lookup_can_fail),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
