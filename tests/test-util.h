/* test-util.h - helpers shared by the Check suites.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UP_TEST_UTIL_H
#define UP_TEST_UTIL_H

#include <stddef.h>

/** Creates a fresh empty temporary directory (under $UP_TEST_TMP or /tmp) and returns its path
 *  (static storage, valid until the next call). Aborts the test on failure. */
const char *up_test_tmpdir(void);

/** Removes a directory tree (best effort). */
void up_test_rmtree(const char *path);

#endif
