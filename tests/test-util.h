/* test-util.h - helpers shared by the Check suites.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UP_TEST_UTIL_H
#define UP_TEST_UTIL_H

#include "uprintd/app.h"
#include <stddef.h>

/** Creates a fresh empty temporary directory (under $UP_TEST_TMP or /tmp) and returns its path
 *  (static storage, valid until the next call). Aborts the test on failure. */
const char *up_test_tmpdir(void);

/** Removes a directory tree (best effort). */
void up_test_rmtree(const char *path);

/** Opens an app over a fresh temporary data folder: cfg's settings (the defaults when NULL) with
 *  data_dir replaced, and http://test.local as the base of links. Aborts the test on failure. */
up_app_t *up_test_app_open(const up_config_t *cfg);

/** Frees an app from up_test_app_open and removes its data folder. NULL is a no-op. */
void up_test_app_close(up_app_t *app);

/** The headers of a request a test sends through up_dispatch (each NULL for none); its
 *  glue for up_test_header. */
typedef struct up_test_headers {
  const char *token; /**< sent as "Authorization: Bearer <token>" */
  const char *content_type;
  const char *client_request_id;
  char auth[8192]; /**< the Authorization value, written on lookup */
} up_test_headers_t;

/** An up_header_fn over the up_test_headers_t in req->glue. */
const char *up_test_header(const up_request_t *req, const char *name);

/** Issues a token for spec with the keys k; aborts the test on failure. Caller frees. */
char *up_test_issue(const up_keyring_t *k, const up_token_spec_t *spec);

#endif
