/* check-job.c - the job lifecycle: the transition table over every state, detail and event,
 * and the effects of each event.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/job.h"
#include "uprintd/log.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* The lifecycle as documented (reference 5.2), written independently of job.c's table. */
static bool expected(up_job_state_t s, unsigned details, up_job_event_t ev)
{
  bool held = details & UP_JOB_DETAIL_RELEASE_WAIT;
  bool active =
      s == UP_JOB_PENDING || s == UP_JOB_PROCESSING || s == UP_JOB_PAUSED || s == UP_JOB_STOPPED;
  switch (ev) {
  case UP_JOB_EV_UPLOADED:
    return s == UP_JOB_PAUSED;
  case UP_JOB_EV_START:
  case UP_JOB_EV_START_HELD:
    return s == UP_JOB_PAUSED && !held && !(details & UP_JOB_DETAIL_UPLOAD_PENDING);
  case UP_JOB_EV_RELEASE:
  case UP_JOB_EV_CONFIGURE:
  case UP_JOB_EV_REDIRECT:
    return s == UP_JOB_PAUSED && held;
  case UP_JOB_EV_TAKE:
    return s == UP_JOB_PENDING;
  case UP_JOB_EV_ACQUIRE:
  case UP_JOB_EV_COMPLETE:
  case UP_JOB_EV_STOP:
  case UP_JOB_EV_REQUEUE:
    return s == UP_JOB_PROCESSING;
  case UP_JOB_EV_RESUME:
    return s == UP_JOB_STOPPED;
  case UP_JOB_EV_ABORT:
  case UP_JOB_EV_CANCEL:
    return active;
  default:
    return false;
  }
}

static const unsigned detail_sets[] = {0, UP_JOB_DETAIL_UPLOAD_PENDING, UP_JOB_DETAIL_RELEASE_WAIT,
                                       UP_JOB_DETAIL_INTERPRETING,
                                       UP_JOB_DETAIL_COMPLETED_SUCCESSFULLY};
#define N_DETAILS (sizeof(detail_sets) / sizeof(detail_sets[0]))

/* _i enumerates state x details x event. */
START_TEST(test_table)
{
  up_job_state_t s = (up_job_state_t)(_i % UP_JOB_STATE_COUNT);
  unsigned details = detail_sets[(_i / UP_JOB_STATE_COUNT) % N_DETAILS];
  up_job_event_t ev = (up_job_event_t)(_i / (UP_JOB_STATE_COUNT * N_DETAILS));
  up_job_t j;
  up_error_t err;
  memset(&j, 0, sizeof(j));
  j.state = s;
  j.details = details;
  up_error_clear(&err);
  bool can = up_job_can(&j, ev, &err);
  ck_assert_msg(can == expected(s, details, ev), "%s with details %#x: %s: got %d",
                up_job_state_name(s), details, up_job_event_name(ev), can);
  if (!can) {
    ck_assert_int_eq(err.status, UP_INVALID);
    ck_assert(err.message[0]);
    /* A refused transition changes nothing. */
    char *status = NULL;
    up_job_t before = j;
    ck_assert_int_eq(up_job_transition(&j, ev, NULL, 1, &status, &err), UP_INVALID);
    ck_assert_ptr_null(status);
    ck_assert(memcmp(&before, &j, sizeof(j)) == 0);
  }
}
END_TEST

static const struct {
  up_job_state_t from;
  unsigned details;
  up_job_event_t ev;
  up_job_state_t to;
  unsigned to_details;
  bool fetchable, acquired;
  const char *printer; /* expected printer status state, or NULL for unchanged */
} effects[] = {
    {UP_JOB_PAUSED, UP_JOB_DETAIL_UPLOAD_PENDING, UP_JOB_EV_UPLOADED, UP_JOB_PAUSED, 0, false,
     false, NULL},
    {UP_JOB_PAUSED, 0, UP_JOB_EV_START, UP_JOB_PENDING, 0, false, false, NULL},
    {UP_JOB_PENDING, 0, UP_JOB_EV_TAKE, UP_JOB_PROCESSING, UP_JOB_DETAIL_INTERPRETING, true, false,
     "processing"},
    {UP_JOB_PROCESSING, UP_JOB_DETAIL_INTERPRETING, UP_JOB_EV_ACQUIRE, UP_JOB_PROCESSING, 0, true,
     true, NULL},
    {UP_JOB_PROCESSING, 0, UP_JOB_EV_COMPLETE, UP_JOB_COMPLETED,
     UP_JOB_DETAIL_COMPLETED_SUCCESSFULLY, false, true, "idle"},
    {UP_JOB_PROCESSING, 0, UP_JOB_EV_STOP, UP_JOB_STOPPED, 0, false, true, "stopped"},
    {UP_JOB_STOPPED, 0, UP_JOB_EV_RESUME, UP_JOB_PROCESSING, UP_JOB_DETAIL_INTERPRETING, true,
     false, "processing"},
    {UP_JOB_PROCESSING, 0, UP_JOB_EV_REQUEUE, UP_JOB_PENDING, 0, false, false, "idle"},
    {UP_JOB_PROCESSING, 0, UP_JOB_EV_CANCEL, UP_JOB_CANCELED, 0, false, true, "idle"},
    {UP_JOB_PENDING, 0, UP_JOB_EV_CANCEL, UP_JOB_CANCELED, 0, false, false, NULL},
    {UP_JOB_PAUSED, UP_JOB_DETAIL_UPLOAD_PENDING, UP_JOB_EV_CANCEL, UP_JOB_CANCELED, 0, false,
     false, NULL},
    {UP_JOB_STOPPED, 0, UP_JOB_EV_ABORT, UP_JOB_ABORTED, 0, false, true, "idle"},
    {UP_JOB_PAUSED, 0, UP_JOB_EV_START_HELD, UP_JOB_PAUSED, UP_JOB_DETAIL_RELEASE_WAIT, false,
     false, NULL},
    {UP_JOB_PAUSED, UP_JOB_DETAIL_RELEASE_WAIT, UP_JOB_EV_RELEASE, UP_JOB_PENDING, 0, false, false,
     NULL},
    {UP_JOB_PAUSED, UP_JOB_DETAIL_RELEASE_WAIT, UP_JOB_EV_CONFIGURE, UP_JOB_PAUSED,
     UP_JOB_DETAIL_RELEASE_WAIT, false, false, NULL},
    {UP_JOB_PAUSED, UP_JOB_DETAIL_RELEASE_WAIT, UP_JOB_EV_ABORT, UP_JOB_ABORTED, 0, false, false,
     NULL},
};

START_TEST(test_effects)
{
  up_job_t j;
  up_error_t err;
  char *status = NULL;
  memset(&j, 0, sizeof(j));
  j.state = effects[_i].from;
  j.details = effects[_i].details;
  j.is_acquired = effects[_i].from == UP_JOB_PROCESSING || effects[_i].from == UP_JOB_STOPPED;
  j.is_acquired = j.is_acquired && effects[_i].ev != UP_JOB_EV_ACQUIRE;
  j.is_fetchable = effects[_i].from == UP_JOB_PROCESSING;
  ck_assert_int_eq(up_job_transition(&j, effects[_i].ev, NULL, 42, &status, &err), UP_OK);
  ck_assert_int_eq(j.state, effects[_i].to);
  ck_assert_uint_eq(j.details, effects[_i].to_details);
  ck_assert_int_eq(j.is_fetchable, effects[_i].fetchable);
  if (effects[_i].ev != UP_JOB_EV_REQUEUE && effects[_i].ev != UP_JOB_EV_RESUME)
    ck_assert_int_eq(j.is_acquired, effects[_i].acquired);
  if (effects[_i].printer) {
    ck_assert_ptr_nonnull(status);
    ck_assert_msg(strstr(status, effects[_i].printer), "%s", status);
  } else {
    ck_assert_ptr_null(status);
  }
  if (up_job_state_is_terminal(j.state))
    ck_assert_int_eq(j.completed_at, 42);
  if (effects[_i].ev == UP_JOB_EV_ACQUIRE)
    ck_assert_int_eq(j.acknowledged_at, 42);
  if (effects[_i].ev == UP_JOB_EV_START || effects[_i].ev == UP_JOB_EV_START_HELD ||
      effects[_i].ev == UP_JOB_EV_RELEASE)
    ck_assert_int_eq(j.started_at, 42);
  free(status);
  up_job_fini(&j);
}
END_TEST

START_TEST(test_arguments)
{
  up_job_t j;
  up_error_t err;
  memset(&j, 0, sizeof(j));
  /* Completion with warnings; an abort with an error code; the uploaded document. */
  j.state = UP_JOB_PROCESSING;
  up_job_event_args_t warn = {.result = UP_JOB_DETAIL_COMPLETED_WITH_WARNINGS};
  ck_assert_int_eq(up_job_transition(&j, UP_JOB_EV_COMPLETE, &warn, 1, NULL, &err), UP_OK);
  ck_assert_uint_eq(j.details, UP_JOB_DETAIL_COMPLETED_WITH_WARNINGS);
  j.state = UP_JOB_PROCESSING;
  up_job_event_args_t code = {.has_error_code = true, .error_code = 42};
  ck_assert_int_eq(up_job_transition(&j, UP_JOB_EV_ABORT, &code, 1, NULL, &err), UP_OK);
  ck_assert(j.has_error_code);
  ck_assert_int_eq(j.error_code, 42);
  memset(&j, 0, sizeof(j));
  j.state = UP_JOB_PAUSED;
  j.details = UP_JOB_DETAIL_UPLOAD_PENDING;
  up_document_t doc = {.display_name = "a.pdf", .content_type = "application/pdf", .size = 10};
  up_job_event_args_t up = {.document = &doc};
  ck_assert_int_eq(up_job_transition(&j, UP_JOB_EV_UPLOADED, &up, 7, NULL, &err), UP_OK);
  /* Redirect: terminal, with the new job's URL; configure: the new configuration. */
  j.details = UP_JOB_DETAIL_RELEASE_WAIT;
  up_job_event_args_t cfg = {.configuration_json = "{\"copies\":3}"};
  ck_assert_int_eq(up_job_transition(&j, UP_JOB_EV_CONFIGURE, &cfg, 8, NULL, &err), UP_OK);
  ck_assert_str_eq(j.configuration_json, "{\"copies\":3}");
  up_job_event_args_t redirect = {.redirected_to = "http://x/v1.0/print/printers/p/jobs/9"};
  ck_assert_int_eq(up_job_transition(&j, UP_JOB_EV_REDIRECT, &redirect, 9, NULL, &err), UP_OK);
  ck_assert_int_eq(j.state, UP_JOB_COMPLETED);
  ck_assert_str_eq(j.redirected_to, "http://x/v1.0/print/printers/p/jobs/9");
  ck_assert_int_eq(j.completed_at, 9);
  ck_assert_str_eq(j.document.display_name, "a.pdf");
  ck_assert_str_eq(j.document.content_type, "application/pdf");
  ck_assert_int_eq(j.document.size, 10);
  ck_assert_int_eq(j.document.uploaded_at, 7);
  up_job_fini(&j);
}
END_TEST

START_TEST(test_messages)
{
  up_job_t j;
  up_error_t err;
  memset(&j, 0, sizeof(j));
  j.state = UP_JOB_PAUSED;
  j.details = UP_JOB_DETAIL_UPLOAD_PENDING;
  ck_assert(!up_job_can(&j, UP_JOB_EV_START, &err));
  ck_assert(strstr(err.message, "uploaded"));
  j.state = UP_JOB_PENDING;
  j.details = 0;
  ck_assert(!up_job_can(&j, UP_JOB_EV_START, &err));
  ck_assert(strstr(err.message, "already been started"));
  j.state = UP_JOB_COMPLETED;
  ck_assert(!up_job_can(&j, UP_JOB_EV_CANCEL, &err));
  ck_assert(strstr(err.message, "completed"));
  ck_assert_int_eq(up_job_state_parse("stopped"), UP_JOB_STOPPED);
  ck_assert_int_eq(up_job_state_parse("queued"), -1);
  for (int s = 0; s < UP_JOB_STATE_COUNT; s++)
    ck_assert_int_eq(up_job_state_parse(up_job_state_name((up_job_state_t)s)), s);
}
END_TEST

int main(void)
{
  up_log_set_level(UP_LOG_ERROR);
  Suite *s = suite_create("job");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, test_table, 0, UP_JOB_STATE_COUNT * N_DETAILS * UP_JOB_EV_COUNT);
  tcase_add_loop_test(tc, test_effects, 0, sizeof(effects) / sizeof(effects[0]));
  tcase_add_test(tc, test_arguments);
  tcase_add_test(tc, test_messages);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
