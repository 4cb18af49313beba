/* replay.c - runs a fuzz harness over files without libFuzzer, so that every seed and every
 * reproducer in tests/fuzz/{corpus,regress} is a regression test of the ordinary build.
 * Usage: replay-<harness> PATH...   (files, or directories of files)
 * SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  long size;
  uint8_t *data;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    perror(path);
    if (f)
      fclose(f);
    return 1;
  }
  /* An exact-size copy, so that reads past the end are caught by the sanitizers. */
  data = malloc(size ? (size_t)size : 1);
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
    perror(path);
    free(data);
    fclose(f);
    return 1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(data, (size_t)size);
  free(data);
  return 0;
}

static int run_path(const char *path, int *count)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    (*count)++;
    return run_file(path);
  }
  struct dirent **names;
  int n = scandir(path, &names, NULL, alphasort), failed = 0;
  if (n < 0) {
    perror(path);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    if (names[i]->d_name[0] != '.') {
      char child[4096];
      snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
      failed |= run_path(child, count);
    }
    free(names[i]);
  }
  free(names);
  return failed;
}

int main(int argc, char **argv)
{
  int failed = 0, count = 0;
  LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++)
    failed |= run_path(argv[i], &count);
  printf("replayed %d inputs\n", count);
  return failed || count == 0;
}
