#!/usr/bin/python3
"""HTTP integration tests of uprintd: runs the real binary and talks to it over HTTP.

    /usr/bin/python3 tests/integration/run.py --binary build/uprintd \
        --conformance ../shared/conformance [-k PATTERN] [-v] [--keep] [TestClass[.test] ...]

Standard library only, plus python3-jsonschema and python3-yaml for the schema conformance
check (skipped with a notice when the conformance directory is absent).
"""

import argparse
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import conformance  # noqa: E402
import harness  # noqa: E402

# Areas, in the order they run.
MODULES = [
    "test_schema",
    "test_cli",
    "test_conventions",
    "test_auth",
    "test_external_tokens",
    "test_printers",
    "test_shares",
    "test_persistence",
    "test_jobs",
    "test_uploads",
    "test_flow",
    "test_device",
    "test_job_restart",
    "test_pull",
    "test_pull_refusals",
    "test_tenants",
    "test_permissions",
    "test_odata",
    "test_batch",
    "test_resilience",
    "test_operations",
    "test_limits",
    "test_tls",
]


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def shard(suite, k, n):
    """The k-th of n parts of suite: whole test classes, the largest first, each given to the
    part with the fewest tests so far (ties to the lower part), so that every run of the same
    suite splits it the same way."""
    classes = {}
    for t in flatten(suite):
        classes.setdefault(type(t).__module__ + "." + type(t).__qualname__, []).append(t)
    parts = [[] for _ in range(n)]
    for name in sorted(classes, key=lambda c: (-len(classes[c]), c)):
        min(parts, key=len).extend(classes[name])
    return unittest.TestSuite(parts[k - 1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="path of the uprintd executable")
    ap.add_argument("--conformance", default=os.path.join(HERE, "..", "..", "..", "shared",
                                                          "conformance"),
                    help="directory holding graph-print-openapi-v1.0.compact.yaml")
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="only tests whose name matches this pattern (unittest -k)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-f", "--failfast", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep data folders")
    ap.add_argument("--shard", metavar="K/N", help="run only the K-th of N parts (1 <= K <= N); "
                    "a test class stays in one part, and the parts have about as many tests")
    ap.add_argument("tests", nargs="*", help="test names, e.g. PrinterPatchTests or "
                                            "test_printers.PrinterPatchTests.test_x")
    args = ap.parse_args(argv)

    binary = os.path.abspath(args.binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("integration: %s is not an executable file" % args.binary, file=sys.stderr)
        return 1
    harness.CONFIG.binary = binary
    harness.CONFIG.keep = args.keep

    c = conformance.Conformance(args.conformance)
    if c.available:
        print("conformance: validating 2xx bodies against %s" % os.path.join(
            os.path.normpath(args.conformance), conformance.SPEC_FILE))
    elif not os.path.isdir(args.conformance):
        print("conformance: %s not found; schema validation skipped" % args.conformance)
    else:
        print("conformance: %s; schema validation skipped" % c.reason)
    harness.CONFIG.conformance = c
    sys.stdout.flush()

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ["*%s*" % p if "*" not in p else p for p in args.patterns]
    suite = unittest.TestSuite()
    if args.tests:
        for name in args.tests:
            found = False
            for mod in MODULES:
                module = __import__(mod)
                head = name.split(".", 1)
                if head[0] == mod:
                    suite.addTests(loader.loadTestsFromName(head[1], module) if len(head) > 1
                                   else loader.loadTestsFromModule(module))
                    found = True
                    break
                if hasattr(module, head[0]):
                    suite.addTests(loader.loadTestsFromName(name, module))
                    found = True
                    break
            if not found:
                print("integration: no test named %s" % name, file=sys.stderr)
                return 2
    else:
        for mod in MODULES:
            suite.addTests(loader.loadTestsFromModule(__import__(mod)))

    if args.shard:
        try:
            k, n = (int(x) for x in args.shard.split("/"))
            if not 1 <= k <= n:
                raise ValueError
        except ValueError:
            print("integration: --shard expects K/N with 1 <= K <= N", file=sys.stderr)
            return 2
        suite = shard(suite, k, n)
        print("integration: part %d of %d, %d tests" % (k, n, suite.countTestCases()))

    class Result(unittest.TextTestResult):
        def printErrors(self):
            super().printErrors()
            # Before unittest's summary, which stays the last thing printed.
            if c.available:
                self.stream.writeln("conformance: %d entities validated" % c.validated)

    runner = unittest.TextTestRunner(verbosity=2 if args.verbose else 1,
                                     failfast=args.failfast, stream=sys.stderr,
                                     resultclass=Result)
    result = runner.run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
