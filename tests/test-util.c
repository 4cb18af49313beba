/* test-util.c - helpers shared by the Check suites.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test-util.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *up_test_tmpdir(void)
{
  static char path[4096];
  const char *base = getenv("UP_TEST_TMP");
  snprintf(path, sizeof(path), "%s/uptest-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(path)) {
    perror("mkdtemp");
    abort();
  }
  return path;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

void up_test_rmtree(const char *path)
{
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

up_app_t *up_test_app_open(const up_config_t *cfg)
{
  up_config_t c;
  up_error_t err = {0};
  up_app_t *app = NULL;
  if (cfg)
    c = *cfg;
  else
    up_config_defaults(&c);
  const char *dir = up_test_tmpdir();
  ck_assert(strlen(dir) < sizeof(c.data_dir));
  strcpy(c.data_dir, dir);
  ck_assert_msg(up_app_open(&c, &app, &err) == UP_OK, "up_app_open: %s", err.message);
  strcpy(app->base_url, "http://test.local");
  return app;
}

void up_test_app_close(up_app_t *app)
{
  if (!app)
    return;
  char dir[sizeof(app->config.data_dir)];
  memcpy(dir, app->config.data_dir, sizeof(dir));
  up_app_free(app);
  up_test_rmtree(dir);
}

char *up_test_issue(const up_keyring_t *k, const up_token_spec_t *spec)
{
  up_error_t err = {0};
  char *token = NULL;
  ck_assert_msg(up_token_issue(k, spec, &token, &err) == UP_OK, "up_token_issue: %s", err.message);
  ck_assert_ptr_nonnull(token);
  return token;
}

const char *up_test_header(const up_request_t *req, const char *name)
{
  up_test_headers_t *h = req->glue;
  if (strcasecmp(name, "Authorization") == 0 && h->token) {
    snprintf(h->auth, sizeof(h->auth), "Bearer %s", h->token);
    return h->auth;
  }
  if (strcasecmp(name, "Content-Type") == 0)
    return h->content_type;
  if (strcasecmp(name, "client-request-id") == 0)
    return h->client_request_id;
  return NULL;
}
