/* check-schema.c - tests of the Graph models (schema/models.json) and of the validator.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/schema.h"

#include "uprintd/embedded.h"
#include "uprintd/util.h"

#include "test-util.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define V1   UP_API_V1
#define BETA UP_API_BETA
#define W    UP_VALIDATE_WRITE
#define A    UP_VALIDATE_ANNOTATIONS

static up_schema_t *schema;

static void schema_setup(void)
{
  up_error_t err;
  up_error_clear(&err);
  if (up_schema_load(&schema, &err) != UP_OK) {
    fprintf(stderr, "up_schema_load: %s\n", err.message);
    abort();
  }
}

static void schema_teardown(void)
{
  up_schema_free(schema);
  schema = NULL;
}

/* Parses test JSON written with ' for " (any JSON value). */
static json_t *jq(const char *text)
{
  char buf[4096];
  json_error_t jerr;
  json_t *v;
  size_t n = strlen(text);
  ck_assert_uint_lt(n, sizeof(buf));
  for (size_t i = 0; i <= n; i++)
    buf[i] = text[i] == '\'' ? '"' : text[i];
  v = json_loads(buf, JSON_DECODE_ANY, &jerr);
  ck_assert_msg(v != NULL, "bad test JSON %s: %s", buf, jerr.text);
  return v;
}

/* True when s is valid UTF-8 (jansson refuses to build a string otherwise). */
static bool utf8_ok(const char *s)
{
  json_t *j = json_string(s);
  json_decref(j);
  return j != NULL;
}

/* Checks a refusal: status, code, target and message (exact with a leading '=', else a part). */
static void expect_error(const up_error_t *err, const char *target, const char *message,
                         const char *what)
{
  ck_assert_msg(err->status == UP_INVALID, "%s: status %d", what, (int)err->status);
  ck_assert_str_eq(err->code, "invalidRequest");
  if (target)
    ck_assert_msg(strcmp(err->target, target) == 0, "%s: target '%s', expected '%s'", what,
                  err->target, target);
  if (message && message[0] == '=')
    ck_assert_msg(strcmp(err->message, message + 1) == 0, "%s: message\n  '%s'\nexpected\n  '%s'",
                  what, err->message, message + 1);
  else if (message)
    ck_assert_msg(strstr(err->message, message) != NULL, "%s: message '%s' lacks '%s'", what,
                  err->message, message);
  ck_assert(utf8_ok(err->message));
  ck_assert(utf8_ok(err->target));
}

/* ---------------------------------------------------------------------------------------------
 * Every member of every v1.0 enum, through a property of that type
 */

typedef struct enum_case {
  const char *name;    /* the enum */
  const char *owner;   /* a type with a property of the enum type */
  const char *prefix;  /* path of the owner in a typical payload */
  const char *prop;    /* that property */
  bool collection;     /* Collection(enum) */
  int count;           /* number of members */
  const char *members; /* "name=value ..." in declaration order (v1.0 OpenAPI order, CSDL values) */
} enum_case_t;

static const enum_case_t enum_cases[] = {
    {"printJobProcessingState", "printJobStatus", "status", "state", false, 9,
     "unknown=0 pending=1 processing=2 paused=3 stopped=4 completed=5 canceled=6 aborted=7 "
     "unknownFutureValue=8"},
    {"printJobStateDetail", "printJobStatus", "status", "details", true, 8,
     "uploadPending=0 transforming=1 completedSuccessfully=2 completedWithWarnings=3 "
     "completedWithErrors=4 releaseWait=5 interpreting=6 unknownFutureValue=7"},
    {"printColorMode", "printJobConfiguration", "configuration", "colorMode", false, 5,
     "blackAndWhite=0 grayscale=1 color=2 auto=3 unknownFutureValue=4"},
    {"printDuplexMode", "printJobConfiguration", "configuration", "duplexMode", false, 4,
     "flipOnLongEdge=0 flipOnShortEdge=1 oneSided=2 unknownFutureValue=3"},
    {"printerFeedOrientation", "printJobConfiguration", "configuration", "feedOrientation", false,
     3, "longEdgeFirst=0 shortEdgeFirst=1 unknownFutureValue=2"},
    {"printOrientation", "printJobConfiguration", "configuration", "orientation", false, 5,
     "portrait=3 landscape=4 reverseLandscape=5 reversePortrait=6 unknownFutureValue=7"},
    {"printQuality", "printJobConfiguration", "configuration", "quality", false, 4,
     "low=0 medium=1 high=2 unknownFutureValue=3"},
    {"printScaling", "printJobConfiguration", "configuration", "scaling", false, 6,
     "auto=0 shrinkToFit=1 fill=2 fit=3 none=4 unknownFutureValue=5"},
    {"printMultipageLayout", "printJobConfiguration", "configuration", "multipageLayout", false, 9,
     "clockwiseFromTopLeft=0 counterclockwiseFromTopLeft=1 counterclockwiseFromTopRight=2 "
     "clockwiseFromTopRight=3 counterclockwiseFromBottomLeft=4 clockwiseFromBottomLeft=5 "
     "counterclockwiseFromBottomRight=6 clockwiseFromBottomRight=7 unknownFutureValue=8"},
    {"printFinishing", "printJobConfiguration", "configuration", "finishings", true, 66,
     "none=3 staple=4 punch=5 cover=6 bind=7 saddleStitch=8 stitchEdge=9 stapleTopLeft=20 "
     "stapleBottomLeft=21 stapleTopRight=22 stapleBottomRight=23 stitchLeftEdge=24 "
     "stitchTopEdge=25 stitchRightEdge=26 stitchBottomEdge=27 stapleDualLeft=28 stapleDualTop=29 "
     "stapleDualRight=30 stapleDualBottom=31 unknownFutureValue=32 stapleTripleLeft=33 "
     "stapleTripleTop=34 stapleTripleRight=35 stapleTripleBottom=36 bindLeft=37 bindTop=38 "
     "bindRight=39 bindBottom=40 foldAccordion=41 foldDoubleGate=42 foldGate=43 foldHalf=44 "
     "foldHalfZ=45 foldLeftGate=46 foldLetter=47 foldParallel=48 foldPoster=49 foldRightGate=50 "
     "foldZ=51 foldEngineeringZ=52 punchTopLeft=53 punchBottomLeft=54 punchTopRight=55 "
     "punchBottomRight=56 punchDualLeft=57 punchDualTop=58 punchDualRight=59 punchDualBottom=60 "
     "punchTripleLeft=61 punchTripleTop=62 punchTripleRight=63 punchTripleBottom=64 "
     "punchQuadLeft=65 punchQuadTop=66 punchQuadRight=67 punchQuadBottom=68 fold=69 trim=70 "
     "bale=71 bookletMaker=72 coat=73 laminate=74 trimAfterPages=75 trimAfterDocuments=76 "
     "trimAfterCopies=77 trimAfterJob=78"},
    {"printerProcessingState", "printerStatus", "status", "state", false, 5,
     "unknown=0 idle=1 processing=2 stopped=3 unknownFutureValue=4"},
    {"printerProcessingStateDetail", "printerStatus", "status", "details", true, 826,
     "paused=0 mediaJam=2 mediaNeeded=3 mediaLow=4 mediaEmpty=5 coverOpen=6 interlockOpen=7 "
     "outputTrayMissing=9 outputAreaFull=10 markerSupplyLow=11 markerSupplyEmpty=12 "
     "inputTrayMissing=13 outputAreaAlmostFull=14 markerWasteAlmostFull=15 markerWasteFull=16 "
     "fuserOverTemp=17 fuserUnderTemp=18 other=19 none=20 movingToPaused=21 shutdown=22 "
     "connectingToDevice=23 timedOut=24 stopping=25 stoppedPartially=26 tonerLow=27 "
     "tonerEmpty=28 spoolAreaFull=29 doorOpen=30 opticalPhotoConductorNearEndOfLife=31 "
     "opticalPhotoConductorLifeOver=32 developerLow=33 developerEmpty=34 "
     "interpreterResourceUnavailable=35 unknownFutureValue=36 alertRemovalOfBinaryChangeEntry=37 "
     "banderAdded=38 banderAlmostEmpty=39 banderAlmostFull=40 banderAtLimit=41 banderClosed=42 "
     "banderConfigurationChange=43 banderCoverClosed=44 banderCoverOpen=45 banderEmpty=46 "
     "banderFull=47 banderInterlockClosed=48 banderInterlockOpen=49 banderJam=50 "
     "banderLifeAlmostOver=51 banderLifeOver=52 banderMemoryExhausted=53 banderMissing=54 "
     "banderMotorFailure=55 banderNearLimit=56 banderOffline=57 banderOpened=58 "
     "banderOverTemperature=59 banderPowerSaver=60 banderRecoverableFailure=61 "
     "banderRecoverableStorage=62 banderRemoved=63 banderResourceAdded=64 "
     "banderResourceRemoved=65 banderThermistorFailure=66 banderTimingFailure=67 "
     "banderTurnedOff=68 banderTurnedOn=69 banderUnderTemperature=70 "
     "banderUnrecoverableFailure=71 banderUnrecoverableStorageError=72 banderWarmingUp=73 "
     "binderAdded=74 binderAlmostEmpty=75 binderAlmostFull=76 binderAtLimit=77 binderClosed=78 "
     "binderConfigurationChange=79 binderCoverClosed=80 binderCoverOpen=81 binderEmpty=82 "
     "binderFull=83 binderInterlockClosed=84 binderInterlockOpen=85 binderJam=86 "
     "binderLifeAlmostOver=87 binderLifeOver=88 binderMemoryExhausted=89 binderMissing=90 "
     "binderMotorFailure=91 binderNearLimit=92 binderOffline=93 binderOpened=94 "
     "binderOverTemperature=95 binderPowerSaver=96 binderRecoverableFailure=97 "
     "binderRecoverableStorage=98 binderRemoved=99 binderResourceAdded=100 "
     "binderResourceRemoved=101 binderThermistorFailure=102 binderTimingFailure=103 "
     "binderTurnedOff=104 binderTurnedOn=105 binderUnderTemperature=106 "
     "binderUnrecoverableFailure=107 binderUnrecoverableStorageError=108 binderWarmingUp=109 "
     "cameraFailure=110 chamberCooling=111 chamberFailure=112 chamberHeating=113 "
     "chamberTemperatureHigh=114 chamberTemperatureLow=115 cleanerLifeAlmostOver=116 "
     "cleanerLifeOver=117 configurationChange=118 deactivated=119 deleted=120 dieCutterAdded=121 "
     "dieCutterAlmostEmpty=122 dieCutterAlmostFull=123 dieCutterAtLimit=124 dieCutterClosed=125 "
     "dieCutterConfigurationChange=126 dieCutterCoverClosed=127 dieCutterCoverOpen=128 "
     "dieCutterEmpty=129 dieCutterFull=130 dieCutterInterlockClosed=131 "
     "dieCutterInterlockOpen=132 dieCutterJam=133 dieCutterLifeAlmostOver=134 "
     "dieCutterLifeOver=135 dieCutterMemoryExhausted=136 dieCutterMissing=137 "
     "dieCutterMotorFailure=138 dieCutterNearLimit=139 dieCutterOffline=140 dieCutterOpened=141 "
     "dieCutterOverTemperature=142 dieCutterPowerSaver=143 dieCutterRecoverableFailure=144 "
     "dieCutterRecoverableStorage=145 dieCutterRemoved=146 dieCutterResourceAdded=147 "
     "dieCutterResourceRemoved=148 dieCutterThermistorFailure=149 dieCutterTimingFailure=150 "
     "dieCutterTurnedOff=151 dieCutterTurnedOn=152 dieCutterUnderTemperature=153 "
     "dieCutterUnrecoverableFailure=154 dieCutterUnrecoverableStorageError=155 "
     "dieCutterWarmingUp=156 extruderCooling=157 extruderFailure=158 extruderHeating=159 "
     "extruderJam=160 extruderTemperatureHigh=161 extruderTemperatureLow=162 fanFailure=163 "
     "faxModemLifeAlmostOver=164 faxModemLifeOver=165 faxModemMissing=166 faxModemTurnedOff=167 "
     "faxModemTurnedOn=168 folderAdded=169 folderAlmostEmpty=170 folderAlmostFull=171 "
     "folderAtLimit=172 folderClosed=173 folderConfigurationChange=174 folderCoverClosed=175 "
     "folderCoverOpen=176 folderEmpty=177 folderFull=178 folderInterlockClosed=179 "
     "folderInterlockOpen=180 folderJam=181 folderLifeAlmostOver=182 folderLifeOver=183 "
     "folderMemoryExhausted=184 folderMissing=185 folderMotorFailure=186 folderNearLimit=187 "
     "folderOffline=188 folderOpened=189 folderOverTemperature=190 folderPowerSaver=191 "
     "folderRecoverableFailure=192 folderRecoverableStorage=193 folderRemoved=194 "
     "folderResourceAdded=195 folderResourceRemoved=196 folderThermistorFailure=197 "
     "folderTimingFailure=198 folderTurnedOff=199 folderTurnedOn=200 folderUnderTemperature=201 "
     "folderUnrecoverableFailure=202 folderUnrecoverableStorageError=203 folderWarmingUp=204 "
     "hibernate=205 holdNewJobs=206 identifyPrinterRequested=207 imprinterAdded=208 "
     "imprinterAlmostEmpty=209 imprinterAlmostFull=210 imprinterAtLimit=211 imprinterClosed=212 "
     "imprinterConfigurationChange=213 imprinterCoverClosed=214 imprinterCoverOpen=215 "
     "imprinterEmpty=216 imprinterFull=217 imprinterInterlockClosed=218 "
     "imprinterInterlockOpen=219 imprinterJam=220 imprinterLifeAlmostOver=221 "
     "imprinterLifeOver=222 imprinterMemoryExhausted=223 imprinterMissing=224 "
     "imprinterMotorFailure=225 imprinterNearLimit=226 imprinterOffline=227 imprinterOpened=228 "
     "imprinterOverTemperature=229 imprinterPowerSaver=230 imprinterRecoverableFailure=231 "
     "imprinterRecoverableStorage=232 imprinterRemoved=233 imprinterResourceAdded=234 "
     "imprinterResourceRemoved=235 imprinterThermistorFailure=236 imprinterTimingFailure=237 "
     "imprinterTurnedOff=238 imprinterTurnedOn=239 imprinterUnderTemperature=240 "
     "imprinterUnrecoverableFailure=241 imprinterUnrecoverableStorageError=242 "
     "imprinterWarmingUp=243 inputCannotFeedSizeSelected=244 inputManualInputRequest=245 "
     "inputMediaColorChange=246 inputMediaFormPartsChange=247 inputMediaSizeChange=248 "
     "inputMediaTrayFailure=249 inputMediaTrayFeedError=250 inputMediaTrayJam=251 "
     "inputMediaTypeChange=252 inputMediaWeightChange=253 inputPickRollerFailure=254 "
     "inputPickRollerLifeOver=255 inputPickRollerLifeWarn=256 inputPickRollerMissing=257 "
     "inputTrayElevationFailure=258 inputTrayPositionFailure=259 inserterAdded=260 "
     "inserterAlmostEmpty=261 inserterAlmostFull=262 inserterAtLimit=263 inserterClosed=264 "
     "inserterConfigurationChange=265 inserterCoverClosed=266 inserterCoverOpen=267 "
     "inserterEmpty=268 inserterFull=269 inserterInterlockClosed=270 inserterInterlockOpen=271 "
     "inserterJam=272 inserterLifeAlmostOver=273 inserterLifeOver=274 "
     "inserterMemoryExhausted=275 inserterMissing=276 inserterMotorFailure=277 "
     "inserterNearLimit=278 inserterOffline=279 inserterOpened=280 inserterOverTemperature=281 "
     "inserterPowerSaver=282 inserterRecoverableFailure=283 inserterRecoverableStorage=284 "
     "inserterRemoved=285 inserterResourceAdded=286 inserterResourceRemoved=287 "
     "inserterThermistorFailure=288 inserterTimingFailure=289 inserterTurnedOff=290 "
     "inserterTurnedOn=291 inserterUnderTemperature=292 inserterUnrecoverableFailure=293 "
     "inserterUnrecoverableStorageError=294 inserterWarmingUp=295 interlockClosed=296 "
     "interpreterCartridgeAdded=297 interpreterCartridgeDeleted=298 "
     "interpreterComplexPageEncountered=299 interpreterMemoryDecrease=300 "
     "interpreterMemoryIncrease=301 interpreterResourceAdded=302 interpreterResourceDeleted=303 "
     "lampAtEol=304 lampFailure=305 lampNearEol=306 laserAtEol=307 laserFailure=308 "
     "laserNearEol=309 makeEnvelopeAdded=310 makeEnvelopeAlmostEmpty=311 "
     "makeEnvelopeAlmostFull=312 makeEnvelopeAtLimit=313 makeEnvelopeClosed=314 "
     "makeEnvelopeConfigurationChange=315 makeEnvelopeCoverClosed=316 makeEnvelopeCoverOpen=317 "
     "makeEnvelopeEmpty=318 makeEnvelopeFull=319 makeEnvelopeInterlockClosed=320 "
     "makeEnvelopeInterlockOpen=321 makeEnvelopeJam=322 makeEnvelopeLifeAlmostOver=323 "
     "makeEnvelopeLifeOver=324 makeEnvelopeMemoryExhausted=325 makeEnvelopeMissing=326 "
     "makeEnvelopeMotorFailure=327 makeEnvelopeNearLimit=328 makeEnvelopeOffline=329 "
     "makeEnvelopeOpened=330 makeEnvelopeOverTemperature=331 makeEnvelopePowerSaver=332 "
     "makeEnvelopeRecoverableFailure=333 makeEnvelopeRecoverableStorage=334 "
     "makeEnvelopeRemoved=335 makeEnvelopeResourceAdded=336 makeEnvelopeResourceRemoved=337 "
     "makeEnvelopeThermistorFailure=338 makeEnvelopeTimingFailure=339 makeEnvelopeTurnedOff=340 "
     "makeEnvelopeTurnedOn=341 makeEnvelopeUnderTemperature=342 "
     "makeEnvelopeUnrecoverableFailure=343 makeEnvelopeUnrecoverableStorageError=344 "
     "makeEnvelopeWarmingUp=345 markerAdjustingPrintQuality=346 markerCleanerMissing=347 "
     "markerDeveloperAlmostEmpty=348 markerDeveloperEmpty=349 markerDeveloperMissing=350 "
     "markerFuserMissing=351 markerFuserThermistorFailure=352 markerFuserTimingFailure=353 "
     "markerInkAlmostEmpty=354 markerInkEmpty=355 markerInkMissing=356 markerOpcMissing=357 "
     "markerPrintRibbonAlmostEmpty=358 markerPrintRibbonEmpty=359 markerPrintRibbonMissing=360 "
     "markerSupplyAlmostEmpty=361 markerSupplyMissing=362 markerTonerCartridgeMissing=363 "
     "markerTonerMissing=364 markerWasteInkReceptacleAlmostFull=365 "
     "markerWasteInkReceptacleFull=366 markerWasteInkReceptacleMissing=367 "
     "markerWasteMissing=368 markerWasteTonerReceptacleAlmostFull=369 "
     "markerWasteTonerReceptacleFull=370 markerWasteTonerReceptacleMissing=371 materialEmpty=372 "
     "materialLow=373 materialNeeded=374 mediaDrying=375 mediaPathCannotDuplexMediaSelected=376 "
     "mediaPathFailure=377 mediaPathInputEmpty=378 mediaPathInputFeedError=379 "
     "mediaPathInputJam=380 mediaPathInputRequest=381 mediaPathJam=382 "
     "mediaPathMediaTrayAlmostFull=383 mediaPathMediaTrayFull=384 mediaPathMediaTrayMissing=385 "
     "mediaPathOutputFeedError=386 mediaPathOutputFull=387 mediaPathOutputJam=388 "
     "mediaPathPickRollerFailure=389 mediaPathPickRollerLifeOver=390 "
     "mediaPathPickRollerLifeWarn=391 mediaPathPickRollerMissing=392 motorFailure=393 "
     "outputMailboxSelectFailure=394 outputMediaTrayFailure=395 outputMediaTrayFeedError=396 "
     "outputMediaTrayJam=397 perforaterAdded=398 perforaterAlmostEmpty=399 "
     "perforaterAlmostFull=400 perforaterAtLimit=401 perforaterClosed=402 "
     "perforaterConfigurationChange=403 perforaterCoverClosed=404 perforaterCoverOpen=405 "
     "perforaterEmpty=406 perforaterFull=407 perforaterInterlockClosed=408 "
     "perforaterInterlockOpen=409 perforaterJam=410 perforaterLifeAlmostOver=411 "
     "perforaterLifeOver=412 perforaterMemoryExhausted=413 perforaterMissing=414 "
     "perforaterMotorFailure=415 perforaterNearLimit=416 perforaterOffline=417 "
     "perforaterOpened=418 perforaterOverTemperature=419 perforaterPowerSaver=420 "
     "perforaterRecoverableFailure=421 perforaterRecoverableStorage=422 perforaterRemoved=423 "
     "perforaterResourceAdded=424 perforaterResourceRemoved=425 perforaterThermistorFailure=426 "
     "perforaterTimingFailure=427 perforaterTurnedOff=428 perforaterTurnedOn=429 "
     "perforaterUnderTemperature=430 perforaterUnrecoverableFailure=431 "
     "perforaterUnrecoverableStorageError=432 perforaterWarmingUp=433 platformCooling=434 "
     "platformFailure=435 platformHeating=436 platformTemperatureHigh=437 "
     "platformTemperatureLow=438 powerDown=439 powerUp=440 printerManualReset=441 "
     "printerNmsReset=442 printerReadyToPrint=443 puncherAdded=444 puncherAlmostEmpty=445 "
     "puncherAlmostFull=446 puncherAtLimit=447 puncherClosed=448 puncherConfigurationChange=449 "
     "puncherCoverClosed=450 puncherCoverOpen=451 puncherEmpty=452 puncherFull=453 "
     "puncherInterlockClosed=454 puncherInterlockOpen=455 puncherJam=456 "
     "puncherLifeAlmostOver=457 puncherLifeOver=458 puncherMemoryExhausted=459 "
     "puncherMissing=460 puncherMotorFailure=461 puncherNearLimit=462 puncherOffline=463 "
     "puncherOpened=464 puncherOverTemperature=465 puncherPowerSaver=466 "
     "puncherRecoverableFailure=467 puncherRecoverableStorage=468 puncherRemoved=469 "
     "puncherResourceAdded=470 puncherResourceRemoved=471 puncherThermistorFailure=472 "
     "puncherTimingFailure=473 puncherTurnedOff=474 puncherTurnedOn=475 "
     "puncherUnderTemperature=476 puncherUnrecoverableFailure=477 "
     "puncherUnrecoverableStorageError=478 puncherWarmingUp=479 resuming=480 "
     "scanMediaPathFailure=481 scanMediaPathInputEmpty=482 scanMediaPathInputFeedError=483 "
     "scanMediaPathInputJam=484 scanMediaPathInputRequest=485 scanMediaPathJam=486 "
     "scanMediaPathOutputFeedError=487 scanMediaPathOutputFull=488 scanMediaPathOutputJam=489 "
     "scanMediaPathPickRollerFailure=490 scanMediaPathPickRollerLifeOver=491 "
     "scanMediaPathPickRollerLifeWarn=492 scanMediaPathPickRollerMissing=493 "
     "scanMediaPathTrayAlmostFull=494 scanMediaPathTrayFull=495 scanMediaPathTrayMissing=496 "
     "scannerLightFailure=497 scannerLightLifeAlmostOver=498 scannerLightLifeOver=499 "
     "scannerLightMissing=500 scannerSensorFailure=501 scannerSensorLifeAlmostOver=502 "
     "scannerSensorLifeOver=503 scannerSensorMissing=504 separationCutterAdded=505 "
     "separationCutterAlmostEmpty=506 separationCutterAlmostFull=507 separationCutterAtLimit=508 "
     "separationCutterClosed=509 separationCutterConfigurationChange=510 "
     "separationCutterCoverClosed=511 separationCutterCoverOpen=512 separationCutterEmpty=513 "
     "separationCutterFull=514 separationCutterInterlockClosed=515 "
     "separationCutterInterlockOpen=516 separationCutterJam=517 "
     "separationCutterLifeAlmostOver=518 separationCutterLifeOver=519 "
     "separationCutterMemoryExhausted=520 separationCutterMissing=521 "
     "separationCutterMotorFailure=522 separationCutterNearLimit=523 separationCutterOffline=524 "
     "separationCutterOpened=525 separationCutterOverTemperature=526 "
     "separationCutterPowerSaver=527 separationCutterRecoverableFailure=528 "
     "separationCutterRecoverableStorage=529 separationCutterRemoved=530 "
     "separationCutterResourceAdded=531 separationCutterResourceRemoved=532 "
     "separationCutterThermistorFailure=533 separationCutterTimingFailure=534 "
     "separationCutterTurnedOff=535 separationCutterTurnedOn=536 "
     "separationCutterUnderTemperature=537 separationCutterUnrecoverableFailure=538 "
     "separationCutterUnrecoverableStorageError=539 separationCutterWarmingUp=540 "
     "sheetRotatorAdded=541 sheetRotatorAlmostEmpty=542 sheetRotatorAlmostFull=543 "
     "sheetRotatorAtLimit=544 sheetRotatorClosed=545 sheetRotatorConfigurationChange=546 "
     "sheetRotatorCoverClosed=547 sheetRotatorCoverOpen=548 sheetRotatorEmpty=549 "
     "sheetRotatorFull=550 sheetRotatorInterlockClosed=551 sheetRotatorInterlockOpen=552 "
     "sheetRotatorJam=553 sheetRotatorLifeAlmostOver=554 sheetRotatorLifeOver=555 "
     "sheetRotatorMemoryExhausted=556 sheetRotatorMissing=557 sheetRotatorMotorFailure=558 "
     "sheetRotatorNearLimit=559 sheetRotatorOffline=560 sheetRotatorOpened=561 "
     "sheetRotatorOverTemperature=562 sheetRotatorPowerSaver=563 "
     "sheetRotatorRecoverableFailure=564 sheetRotatorRecoverableStorage=565 "
     "sheetRotatorRemoved=566 sheetRotatorResourceAdded=567 sheetRotatorResourceRemoved=568 "
     "sheetRotatorThermistorFailure=569 sheetRotatorTimingFailure=570 sheetRotatorTurnedOff=571 "
     "sheetRotatorTurnedOn=572 sheetRotatorUnderTemperature=573 "
     "sheetRotatorUnrecoverableFailure=574 sheetRotatorUnrecoverableStorageError=575 "
     "sheetRotatorWarmingUp=576 slitterAdded=577 slitterAlmostEmpty=578 slitterAlmostFull=579 "
     "slitterAtLimit=580 slitterClosed=581 slitterConfigurationChange=582 slitterCoverClosed=583 "
     "slitterCoverOpen=584 slitterEmpty=585 slitterFull=586 slitterInterlockClosed=587 "
     "slitterInterlockOpen=588 slitterJam=589 slitterLifeAlmostOver=590 slitterLifeOver=591 "
     "slitterMemoryExhausted=592 slitterMissing=593 slitterMotorFailure=594 slitterNearLimit=595 "
     "slitterOffline=596 slitterOpened=597 slitterOverTemperature=598 slitterPowerSaver=599 "
     "slitterRecoverableFailure=600 slitterRecoverableStorage=601 slitterRemoved=602 "
     "slitterResourceAdded=603 slitterResourceRemoved=604 slitterThermistorFailure=605 "
     "slitterTimingFailure=606 slitterTurnedOff=607 slitterTurnedOn=608 "
     "slitterUnderTemperature=609 slitterUnrecoverableFailure=610 "
     "slitterUnrecoverableStorageError=611 slitterWarmingUp=612 stackerAdded=613 "
     "stackerAlmostEmpty=614 stackerAlmostFull=615 stackerAtLimit=616 stackerClosed=617 "
     "stackerConfigurationChange=618 stackerCoverClosed=619 stackerCoverOpen=620 "
     "stackerEmpty=621 stackerFull=622 stackerInterlockClosed=623 stackerInterlockOpen=624 "
     "stackerJam=625 stackerLifeAlmostOver=626 stackerLifeOver=627 stackerMemoryExhausted=628 "
     "stackerMissing=629 stackerMotorFailure=630 stackerNearLimit=631 stackerOffline=632 "
     "stackerOpened=633 stackerOverTemperature=634 stackerPowerSaver=635 "
     "stackerRecoverableFailure=636 stackerRecoverableStorage=637 stackerRemoved=638 "
     "stackerResourceAdded=639 stackerResourceRemoved=640 stackerThermistorFailure=641 "
     "stackerTimingFailure=642 stackerTurnedOff=643 stackerTurnedOn=644 "
     "stackerUnderTemperature=645 stackerUnrecoverableFailure=646 "
     "stackerUnrecoverableStorageError=647 stackerWarmingUp=648 standby=649 staplerAdded=650 "
     "staplerAlmostEmpty=651 staplerAlmostFull=652 staplerAtLimit=653 staplerClosed=654 "
     "staplerConfigurationChange=655 staplerCoverClosed=656 staplerCoverOpen=657 "
     "staplerEmpty=658 staplerFull=659 staplerInterlockClosed=660 staplerInterlockOpen=661 "
     "staplerJam=662 staplerLifeAlmostOver=663 staplerLifeOver=664 staplerMemoryExhausted=665 "
     "staplerMissing=666 staplerMotorFailure=667 staplerNearLimit=668 staplerOffline=669 "
     "staplerOpened=670 staplerOverTemperature=671 staplerPowerSaver=672 "
     "staplerRecoverableFailure=673 staplerRecoverableStorage=674 staplerRemoved=675 "
     "staplerResourceAdded=676 staplerResourceRemoved=677 staplerThermistorFailure=678 "
     "staplerTimingFailure=679 staplerTurnedOff=680 staplerTurnedOn=681 "
     "staplerUnderTemperature=682 staplerUnrecoverableFailure=683 "
     "staplerUnrecoverableStorageError=684 staplerWarmingUp=685 stitcherAdded=686 "
     "stitcherAlmostEmpty=687 stitcherAlmostFull=688 stitcherAtLimit=689 stitcherClosed=690 "
     "stitcherConfigurationChange=691 stitcherCoverClosed=692 stitcherCoverOpen=693 "
     "stitcherEmpty=694 stitcherFull=695 stitcherInterlockClosed=696 stitcherInterlockOpen=697 "
     "stitcherJam=698 stitcherLifeAlmostOver=699 stitcherLifeOver=700 "
     "stitcherMemoryExhausted=701 stitcherMissing=702 stitcherMotorFailure=703 "
     "stitcherNearLimit=704 stitcherOffline=705 stitcherOpened=706 stitcherOverTemperature=707 "
     "stitcherPowerSaver=708 stitcherRecoverableFailure=709 stitcherRecoverableStorage=710 "
     "stitcherRemoved=711 stitcherResourceAdded=712 stitcherResourceRemoved=713 "
     "stitcherThermistorFailure=714 stitcherTimingFailure=715 stitcherTurnedOff=716 "
     "stitcherTurnedOn=717 stitcherUnderTemperature=718 stitcherUnrecoverableFailure=719 "
     "stitcherUnrecoverableStorageError=720 stitcherWarmingUp=721 subunitAdded=722 "
     "subunitAlmostEmpty=723 subunitAlmostFull=724 subunitAtLimit=725 subunitClosed=726 "
     "subunitCoolingDown=727 subunitEmpty=728 subunitFull=729 subunitLifeAlmostOver=730 "
     "subunitLifeOver=731 subunitMemoryExhausted=732 subunitMissing=733 subunitMotorFailure=734 "
     "subunitNearLimit=735 subunitOffline=736 subunitOpened=737 subunitOverTemperature=738 "
     "subunitPowerSaver=739 subunitRecoverableFailure=740 subunitRecoverableStorage=741 "
     "subunitRemoved=742 subunitResourceAdded=743 subunitResourceRemoved=744 "
     "subunitThermistorFailure=745 subunitTimingFailure=746 subunitTurnedOff=747 "
     "subunitTurnedOn=748 subunitUnderTemperature=749 subunitUnrecoverableFailure=750 "
     "subunitUnrecoverableStorage=751 subunitWarmingUp=752 suspend=753 testing=754 "
     "trimmerAdded=755 trimmerAlmostEmpty=756 trimmerAlmostFull=757 trimmerAtLimit=758 "
     "trimmerClosed=759 trimmerConfigurationChange=760 trimmerCoverClosed=761 "
     "trimmerCoverOpen=762 trimmerEmpty=763 trimmerFull=764 trimmerInterlockClosed=765 "
     "trimmerInterlockOpen=766 trimmerJam=767 trimmerLifeAlmostOver=768 trimmerLifeOver=769 "
     "trimmerMemoryExhausted=770 trimmerMissing=771 trimmerMotorFailure=772 trimmerNearLimit=773 "
     "trimmerOffline=774 trimmerOpened=775 trimmerOverTemperature=776 trimmerPowerSaver=777 "
     "trimmerRecoverableFailure=778 trimmerRecoverableStorage=779 trimmerRemoved=780 "
     "trimmerResourceAdded=781 trimmerResourceRemoved=782 trimmerThermistorFailure=783 "
     "trimmerTimingFailure=784 trimmerTurnedOff=785 trimmerTurnedOn=786 "
     "trimmerUnderTemperature=787 trimmerUnrecoverableFailure=788 "
     "trimmerUnrecoverableStorageError=789 trimmerWarmingUp=790 unknown=791 wrapperAdded=792 "
     "wrapperAlmostEmpty=793 wrapperAlmostFull=794 wrapperAtLimit=795 wrapperClosed=796 "
     "wrapperConfigurationChange=797 wrapperCoverClosed=798 wrapperCoverOpen=799 "
     "wrapperEmpty=800 wrapperFull=801 wrapperInterlockClosed=802 wrapperInterlockOpen=803 "
     "wrapperJam=804 wrapperLifeAlmostOver=805 wrapperLifeOver=806 wrapperMemoryExhausted=807 "
     "wrapperMissing=808 wrapperMotorFailure=809 wrapperNearLimit=810 wrapperOffline=811 "
     "wrapperOpened=812 wrapperOverTemperature=813 wrapperPowerSaver=814 "
     "wrapperRecoverableFailure=815 wrapperRecoverableStorage=816 wrapperRemoved=817 "
     "wrapperResourceAdded=818 wrapperResourceRemoved=819 wrapperThermistorFailure=820 "
     "wrapperTimingFailure=821 wrapperTurnedOff=822 wrapperTurnedOn=823 "
     "wrapperUnderTemperature=824 wrapperUnrecoverableFailure=825 "
     "wrapperUnrecoverableStorageError=826 wrapperWarmingUp=827"},
    {"printEvent", "printTaskTrigger", "", "event", false, 2, "jobStarted=0 unknownFutureValue=1"},
    {"printTaskProcessingState", "printTaskStatus", "status", "state", false, 5,
     "pending=0 processing=1 completed=2 aborted=3 unknownFutureValue=4"},
    {"printOperationProcessingState", "printOperationStatus", "status", "state", false, 5,
     "notStarted=0 running=1 succeeded=2 failed=3 unknownFutureValue=4"},
    {"incompatiblePrinterSettings", "airPrintSettings", "airPrint", "incompatiblePrinters", false,
     3, "show=0 hide=1 unknownFutureValue=2"},
};

/* Calls fn(name, value, index) for each member of c; returns the count. */
static int for_members(const enum_case_t *c,
                       void (*fn)(const enum_case_t *, const char *, long, int))
{
  const char *p = c->members;
  int i = 0;
  while (*p) {
    char name[64];
    long value;
    int used = 0;
    ck_assert_int_eq(sscanf(p, "%63[^=]=%ld %n", name, &value, &used), 2);
    ck_assert_int_gt(used, 0);
    fn(c, name, value, i++);
    p += used;
  }
  return i;
}

static bool seen_sentinel;

static void member_accepted(const enum_case_t *c, const char *name, long value, int index)
{
  up_error_t err;
  json_t *doc =
      c->collection ? json_pack("{s:[s]}", c->prop, name) : json_pack("{s:s}", c->prop, name);
  bool ok = up_schema_validate(schema, c->owner, doc, V1, 0, c->prefix, &err);
  ck_assert_msg(ok, "%s.%s = '%s' refused: %s", c->owner, c->prop, name, err.message);
  json_decref(doc);
  ck_assert_msg(up_schema_enum_has(schema, c->name, name), "%s lacks %s", c->name, name);
  ck_assert_int_eq(up_schema_enum_value(schema, c->name, name), value);
  ck_assert_msg(up_schema_enum_is_evolvable(schema, c->name, name) == seen_sentinel,
                "%s.%s: evolvable", c->name, name);
  if (strcmp(name, "unknownFutureValue") == 0)
    seen_sentinel = true;
  (void)index;
}

START_TEST(test_enum_members)
{
  const enum_case_t *c = &enum_cases[_i];
  bool nav = true;
  seen_sentinel = false;
  ck_assert_int_eq(for_members(c, member_accepted), c->count);
  ck_assert(up_schema_property_find(schema, c->owner, c->prop, V1, NULL, NULL, &nav));
  ck_assert(!nav);
}
END_TEST

static char expected_list[8192];

static void member_listed(const enum_case_t *c, const char *name, long value, int index)
{
  (void)value;
  if (c->count > 100) /* only enums of up to 100 members are listed in full */
    return;
  if (index)
    strcat(expected_list, ", ");
  strcat(expected_list, name);
}

START_TEST(test_enum_bad_value)
{
  const enum_case_t *c = &enum_cases[_i];
  char target[128], message[sizeof(expected_list) + 512], first[64];
  up_error_t err;
  json_t *doc;

  snprintf(target, sizeof(target), "%s%s%s%s", c->prefix, *c->prefix ? "." : "", c->prop,
           c->collection ? "[0]" : "");
  /* An unknown name: refused, with the path and the allowed values */
  doc = c->collection ? json_pack("{s:[s]}", c->prop, "notAMember")
                      : json_pack("{s:s}", c->prop, "notAMember");
  ck_assert(!up_schema_validate(schema, c->owner, doc, V1, 0, c->prefix, &err));
  json_decref(doc);
  expected_list[0] = '\0';
  for_members(c, member_listed);
  if (c->count <= 100)
    snprintf(message, sizeof(message),
             "=Invalid value 'notAMember' for property '%s' (%s). Allowed values: %s.", target,
             c->name, expected_list);
  else
    snprintf(message, sizeof(message), "... (%d values in total).", c->count);
  expect_error(&err, target, message, c->name);
  ck_assert_msg(strstr(err.message, "Allowed values: ") != NULL, "%s", err.message);
  /* Member names are case-sensitive */
  ck_assert_int_eq(sscanf(c->members, "%63[^=]", first), 1);
  first[0] = (char)(first[0] - 'a' + 'A');
  doc = c->collection ? json_pack("{s:[s]}", c->prop, first) : json_pack("{s:s}", c->prop, first);
  ck_assert(!up_schema_validate(schema, c->owner, doc, V1, 0, c->prefix, &err));
  json_decref(doc);
  expect_error(&err, target, "Invalid value", c->name);
  ck_assert(!up_schema_enum_has(schema, c->name, first));
  /* Not a string */
  doc = c->collection ? json_pack("{s:[i]}", c->prop, 1) : json_pack("{s:i}", c->prop, 1);
  ck_assert(!up_schema_validate(schema, c->owner, doc, V1, 0, c->prefix, &err));
  json_decref(doc);
  snprintf(message, sizeof(message), "must be of type %s.", c->name);
  expect_error(&err, target, message, c->name);
}
END_TEST

START_TEST(test_enum_helpers)
{
  ck_assert(up_schema_enum_is_evolvable(schema, "printFinishing", "bindLeft"));
  ck_assert_int_eq(up_schema_enum_value(schema, "printFinishing", "bindLeft"), 37);
  ck_assert(!up_schema_enum_is_evolvable(schema, "printFinishing", "staple"));
  ck_assert_int_eq(up_schema_enum_value(schema, "printFinishing", "staple"), 4);
  ck_assert(!up_schema_enum_is_evolvable(schema, "printFinishing", "unknownFutureValue"));
  ck_assert_int_eq(up_schema_enum_value(schema, "printFinishing", "unknownFutureValue"), 32);
  ck_assert_int_eq(up_schema_enum_value(schema, "microsoft.graph.printFinishing", "trimAfterJob"),
                   78);
  ck_assert(!up_schema_enum_has(schema, "printFinishing", "Staple"));
  ck_assert(!up_schema_enum_has(schema, "printFinishing", "edgeStitch"));
  ck_assert(up_schema_enum_has(schema, "printerProcessingStateDetail", "wrapperWarmingUp"));
  ck_assert_int_eq(up_schema_enum_value(schema, "printerProcessingStateDetail", "wrapperWarmingUp"),
                   827);
  ck_assert(up_schema_enum_is_evolvable(schema, "printerProcessingStateDetail", "unknown"));
  ck_assert(!up_schema_enum_is_evolvable(schema, "printerProcessingStateDetail",
                                         "interpreterResourceUnavailable"));
  ck_assert(!up_schema_enum_has(schema, "printerProcessingStateDetail", "disconnected"));
  ck_assert_int_eq(up_schema_enum_value(schema, "printerProcessingStateDetail", "disconnected"),
                   -1);
  /* beta-only enums are there too */
  ck_assert_int_eq(up_schema_enum_value(schema, "printColorConfiguration", "grayscale"), 1);
  ck_assert_int_eq(up_schema_enum_value(schema, "printerProcessingStateReason", "mediaJam"), 2);
  ck_assert_int_eq(
      up_schema_enum_value(schema, "printPresentationDirection", "counterClockwiseFromTopLeft"), 1);
  /* unknown enums, non-enum types, NULL */
  ck_assert(!up_schema_enum_has(schema, "printColour", "color"));
  ck_assert_int_eq(up_schema_enum_value(schema, "printColour", "color"), -1);
  ck_assert(!up_schema_enum_has(schema, "printer", "displayName"));
  ck_assert(!up_schema_enum_has(schema, NULL, "color"));
  ck_assert(!up_schema_enum_has(schema, "printColorMode", NULL));
  ck_assert(!up_schema_enum_is_evolvable(NULL, "printFinishing", "bindLeft"));
}
END_TEST

/* printerProcessingStateDetail: 826 members, the message names a few and the count. */
START_TEST(test_enum_huge_message)
{
  up_error_t err;
  json_t *doc = jq("{'details': ['paused', 'wrapperJam', 'noSuchDetail']}");
  ck_assert(!up_schema_validate(schema, "printerStatus", doc, V1, 0, "status", &err));
  json_decref(doc);
  expect_error(&err, "status.details[2]",
               "=Invalid value 'noSuchDetail' for property 'status.details[2]' "
               "(printerProcessingStateDetail). Allowed values: paused, mediaJam, mediaNeeded, "
               "mediaLow, mediaEmpty, coverOpen, interlockOpen, outputTrayMissing, outputAreaFull, "
               "markerSupplyLow, ... (826 values in total).",
               "details");
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Edm primitive types (through up_schema_validate_property)
 */

typedef struct edm_case {
  const char *owner, *prop, *json; /* value as JSON (' for ") */
  bool ok;
  const char *type; /* named in the refusal */
} edm_case_t;

static const edm_case_t edm_cases[] = {
    {"printerLocation", "building", "'Building 9'", true, NULL},
    {"printerLocation", "building", "''", true, NULL},
    {"printerLocation", "building", "null", true, NULL},
    {"printerLocation", "building", "5", false, "String"},
    {"printerLocation", "building", "true", false, "String"},
    {"printerLocation", "building", "{}", false, "String"},
    {"printerLocation", "building", "['a']", false, "String"},
    {"printJobConfiguration", "collate", "true", true, NULL},
    {"printJobConfiguration", "collate", "false", true, NULL},
    {"printJobConfiguration", "collate", "'true'", false, "Boolean"},
    {"printJobConfiguration", "collate", "1", false, "Boolean"},
    {"printJobConfiguration", "collate", "0", false, "Boolean"},
    {"printJobConfiguration", "copies", "1", true, NULL},
    {"printJobConfiguration", "copies", "0", true, NULL},
    {"printJobConfiguration", "copies", "-2147483648", true, NULL},
    {"printJobConfiguration", "copies", "2147483647", true, NULL},
    {"printJobConfiguration", "copies", "2147483648", false, "Int32 (value out of range)"},
    {"printJobConfiguration", "copies", "-2147483649", false, "Int32 (value out of range)"},
    {"printJobConfiguration", "copies", "9223372036854775807", false, "Int32 (value out of range)"},
    {"printJobConfiguration", "copies", "1.5", false, "Int32"},
    {"printJobConfiguration", "copies", "1.0", false, "Int32"},
    {"printJobConfiguration", "copies", "'1'", false, "Int32"},
    {"printJobConfiguration", "copies", "true", false, "Int32"},
    {"integerRange", "start", "0", true, NULL},
    {"integerRange", "start", "9223372036854775807", true, NULL},
    {"integerRange", "start", "-9223372036854775808", true, NULL},
    {"integerRange", "start", "2.5", false, "Int64"},
    {"integerRange", "start", "2.0", false, "Int64"},
    {"integerRange", "start", "'42'", false, "Int64"},
    {"printDocumentUploadProperties", "size", "4533322", true, NULL},
    {"printDocumentUploadProperties", "size", "null", false, NULL},
    {"printerLocation", "latitude", "47.6", true, NULL},
    {"printerLocation", "latitude", "47", true, NULL},
    {"printerLocation", "latitude", "-1e300", true, NULL},
    {"printerLocation", "latitude", "'47.6'", false, "Double"},
    {"printerLocation", "latitude", "true", false, "Double"},
    {"printerLocation", "latitude", "[1.0]", false, "Double"},
    {"printerShareViewpoint", "lastUsedDateTime", "'2020-06-15T22:27:03.0318490Z'", true, NULL},
    {"printerShareViewpoint", "lastUsedDateTime", "'2020-10-14T05:16:49-07:00'", true, NULL},
    {"printerShareViewpoint", "lastUsedDateTime", "'2020-06-15T22:27:03Z'", true, NULL},
    {"printerShareViewpoint", "lastUsedDateTime", "'2020-06-15'", false, "DateTimeOffset"},
    {"printerShareViewpoint", "lastUsedDateTime", "'yesterday'", false, "DateTimeOffset"},
    {"printerShareViewpoint", "lastUsedDateTime", "'2020-13-01T00:00:00Z'", false,
     "DateTimeOffset"},
    {"printerShareViewpoint", "lastUsedDateTime", "'2020-06-15T22:27:03'", false, "DateTimeOffset"},
    {"printerShareViewpoint", "lastUsedDateTime", "1592259003", false, "DateTimeOffset"},
    {"printUsageByUser", "usageDate", "'2020-02-04'", true, NULL},
    {"printUsageByUser", "usageDate", "'2024-02-29'", true, NULL},
    {"printUsageByUser", "usageDate", "'2000-02-29'", true, NULL},
    {"printUsageByUser", "usageDate", "'1900-02-29'", false, "Date"},
    {"printUsageByUser", "usageDate", "'2023-02-29'", false, "Date"},
    {"printUsageByUser", "usageDate", "'2020-04-31'", false, "Date"},
    {"printUsageByUser", "usageDate", "'2020-2-4'", false, "Date"},
    {"printUsageByUser", "usageDate", "'2020-02-04T00:00:00Z'", false, "Date"},
    {"printUsageByUser", "usageDate", "20200204", false, "Date"},
    {"printUsageByUser", "usageDate", "null", false, NULL},
    {"printUsageByPrinter", "usageDate", "'2021-12-31'", true, NULL},
};

START_TEST(test_edm)
{
  const edm_case_t *c = &edm_cases[_i];
  char message[200];
  up_error_t err;
  json_t *v = jq(c->json);
  bool ok = up_schema_validate_property(schema, c->owner, c->prop, v, V1, 0, NULL, &err);
  json_decref(v);
  ck_assert_msg(ok == c->ok, "%s.%s = %s: %s", c->owner, c->prop, c->json,
                ok ? "accepted" : err.message);
  if (ok)
    return;
  if (c->type)
    snprintf(message, sizeof(message), "Property '%s' must be of type %s", c->prop, c->type);
  else
    snprintf(message, sizeof(message), "=Property '%s' cannot be null.", c->prop);
  expect_error(&err, c->prop, message, c->json);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Whole payloads: nesting, nullability, unknown and version-specific properties, read-only,
 * annotations, open types
 */

typedef struct vcase {
  const char *type; /* validated type */
  const char *path; /* path prefix */
  up_api_version_t ver;
  unsigned flags;
  const char *json; /* the value (' for ") */
  bool ok;
  const char *target;  /* expected err.target on refusal */
  const char *message; /* expected message: exact with a leading '=', else a part */
} vcase_t;

static void run_case(const vcase_t *c)
{
  up_error_t err;
  json_t *v = jq(c->json);
  bool ok;
  up_error_clear(&err);
  ok = up_schema_validate(schema, c->type, v, c->ver, c->flags, c->path, &err);
  json_decref(v);
  ck_assert_msg(ok == c->ok, "%s %s: %s", c->type, c->json, ok ? "accepted" : err.message);
  if (!ok)
    expect_error(&err, c->target, c->message, c->json);
}

#define UNKNOWN(p, t)                                                                              \
  "=The property '" p "' does not exist on type 'microsoft.graph." t                               \
  "'. Make sure to only use property names that are defined by the type."

static const vcase_t nested_cases[] = {
    {"printJob", NULL, V1, 0, "{'configuration': {'margin': {'top': 'x'}}}", false,
     "configuration.margin.top", "=Property 'configuration.margin.top' must be of type Int32."},
    {"printJob", NULL, V1, 0,
     "{'configuration': {'pageRanges': [{'start': 1, 'end': 2}, {'start': 'a'}]}}", false,
     "configuration.pageRanges[1].start",
     "=Property 'configuration.pageRanges[1].start' must be of type Int64."},
    {"printJobConfiguration", "configuration", V1, 0, "{'colorMode': 'rainbow'}", false,
     "configuration.colorMode",
     "=Invalid value 'rainbow' for property 'configuration.colorMode' (printColorMode). Allowed "
     "values: blackAndWhite, grayscale, color, auto, unknownFutureValue."},
    {"microsoft.graph.printJobConfiguration", "configuration", V1, 0, "{'copies': 'two'}", false,
     "configuration.copies", "=Property 'configuration.copies' must be of type Int32."},
    {"printJob", "", V1, 0, "{'configuration': {'copies': 2147483648}}", false,
     "configuration.copies",
     "=Property 'configuration.copies' must be of type Int32 (value out of range)."},
    {"printJob", NULL, V1, 0, "{'configuration': {'finishings': ['staple', 'glue']}}", false,
     "configuration.finishings[1]",
     "Invalid value 'glue' for property 'configuration.finishings[1]' (printFinishing). Allowed "
     "values: none, staple, punch, cover, bind, saddleStitch, stitchEdge, stapleTopLeft, "
     "stapleBottomLeft, stapleTopRight, "},
    {"printJob", NULL, V1, 0, "{'configuration': {'finishings': ['glue']}}", false,
     "configuration.finishings[0]", ", unknownFutureValue, stapleTripleLeft, "},
    {"printJob", NULL, V1, 0, "{'configuration': {'finishings': ['glue']}}", false,
     "configuration.finishings[0]", ", trimAfterCopies, trimAfterJob."},
    {"printJob", NULL, V1, 0, "{'configuration': {'finishings': 'staple'}}", false,
     "configuration.finishings",
     "=Property 'configuration.finishings' must be of type Collection(printFinishing)."},
    {"printJob", NULL, V1, 0, "{'configuration': {'pageRanges': {'start': 1}}}", false,
     "configuration.pageRanges", "must be of type Collection(integerRange)."},
    {"printJob", NULL, V1, 0, "{'configuration': {'margin': [1]}}", false, "configuration.margin",
     "=Property 'configuration.margin' must be of type printMargin."},
    {"printer", NULL, V1, 0, "{'location': {'organization': ['a', 2]}}", false,
     "location.organization[1]", "=Property 'location.organization[1]' must be of type String."},
    {"print", NULL, V1, 0,
     "{'settings': {'printerDiscoverySettings': {'airPrint': {'incompatiblePrinters': 'maybe'}}}}",
     false, "settings.printerDiscoverySettings.airPrint.incompatiblePrinters",
     "Allowed values: show, hide, unknownFutureValue."},
    {"printer", "value[3]", V1, 0, "{'displayName': 5}", false, "value[3].displayName",
     "=Property 'value[3].displayName' must be of type String."},
    {"printJob", NULL, V1, 0, "[]", false, "", "=The value must be of type printJob."},
    {"printJob", "value", V1, 0, "'x'", false, "value",
     "=Property 'value' must be of type printJob."},
    {"printColorMode", NULL, V1, 0, "'rainbow'", false, "",
     "=Invalid value 'rainbow' (printColorMode). Allowed values: blackAndWhite, grayscale, color, "
     "auto, unknownFutureValue."},
    {"printColorMode", NULL, V1, 0, "'color'", true, NULL, NULL},
    /* a share's status as in a documented example ('ready' is not a member) */
    {"printerShare", NULL, V1, 0, "{'printer': {'status': {'state': 'ready', 'details': []}}}",
     false, "printer.status.state", "Invalid value 'ready' for property 'printer.status.state'"},
    {"printer", NULL, V1, 0,
     "{'jobs': [{'id': '1', 'status': {'state': 'paused', 'details': ['uploadPending'], "
     "'description': 'd', 'isAcquiredByPrinter': false}}, {'id': '2', 'configuration': {'dpi': "
     "'high'}}]}",
     false, "jobs[1].configuration.dpi",
     "=Property 'jobs[1].configuration.dpi' must be of type Int32."},
    /* documented request and response bodies */
    {"printJob", NULL, V1, W | A,
     "{'configuration': {'feedOrientation': 'longEdgeFirst', 'pageRanges': [{'start': 1, 'end': "
     "1}], 'quality': 'medium', 'dpi': 600, 'orientation': 'landscape', 'copies': 1, "
     "'duplexMode': 'oneSided', 'colorMode': 'blackAndWhite', 'inputBin': 'by-pass-tray', "
     "'outputBin': 'output-tray', 'mediaSize': 'A4', 'margin': {'top': 0, 'bottom': 0, 'left': 0, "
     "'right': 0}, 'mediaType': 'stationery', 'finishings': null, 'pagesPerSheet': 1, "
     "'multipageLayout': 'clockwiseFromBottomLeft', 'collate': false, 'scaling': 'shrinkToFit', "
     "'fitPdfToPage': false}}",
     true, NULL, NULL},
    {"printJob", NULL, V1, A,
     "{'@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#print/printJobs/$entity', "
     "'id': '1825', 'createdDateTime': '2020-10-14T05:16:49-07:00', 'isFetchable': false, "
     "'redirectedFrom': null, 'redirectedTo': null, 'createdBy': {'id': 'u', 'displayName': 'n', "
     "'ipAddress': null, 'userPrincipalName': 'upn'}, 'status': {'state': 'paused', "
     "'description': 'The job is not a candidate for processing yet.', 'isAcquiredByPrinter': "
     "false, 'details': ['uploadPending']}, 'configuration': {'copies': 1}, 'documents': [{'id': "
     "'1477576d-5dab-4ea9-865c-c0b82cd70bd5', 'displayName': '', 'contentType': '', 'size': 0}]}",
     true, NULL, NULL},
    {"printOperation", NULL, V1, A,
     "{'@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#print/operations/$entity', "
     "'@odata.type': '#microsoft.graph.printerCreateOperation', 'id': "
     "'81f4cca3-b3b7-47ea-9f88-7ddbf7208ef4', 'createdDateTime': '2020-06-15T22:27:03.031849Z', "
     "'certificate': '{certificate}', 'status': {'state': 'succeeded', 'description': 'done'}, "
     "'printer': {'registeredDateTime': '2020-06-15T22:27:12.0920077Z', 'isShared': false, 'id': "
     "'e56f9cdd-acec-486f-a05e-b622ff0bcc7d', 'displayName': 'Test Printer', 'manufacturer': 'M', "
     "'model': 'X', 'isAcceptingJobs': null, 'status': {'state': 'unknown', 'details': [], "
     "'description': ''}, 'location': {'latitude': null, 'longitude': null}}}",
     true, NULL, NULL},
};

static const vcase_t null_cases[] = {
    {"printerShare", NULL, V1, 0, "{'displayName': null}", false, "displayName",
     "=Property 'displayName' cannot be null."},
    {"printJobConfiguration", NULL, V1, 0,
     "{'copies': null, 'colorMode': null, 'finishings': null, 'margin': null, 'pageRanges': null}",
     true, NULL, NULL},
    {"printJob", NULL, V1, W, "{'configuration': null}", false, "configuration",
     "=Property 'configuration' cannot be null."},
    {"printJobStatus", "status", V1, 0, "{'description': null}", false, "status.description",
     "=Property 'status.description' cannot be null."},
    {"printJobStatus", "status", BETA, 0, "{'description': null}", true, NULL, NULL},
    {"printJobStatus", NULL, V1, 0, "{'details': null}", false, "details", "cannot be null"},
    {"printJobStatus", NULL, BETA, 0, "{'details': null}", true, NULL, NULL},
    {"printerStatus", NULL, BETA, 0, "{'details': null}", false, "details", "cannot be null"},
    {"printerStatus", NULL, V1, 0, "{'details': [null]}", false, "details[0]",
     "=Property 'details[0]' cannot be null."},
    {"printerStatus", NULL, V1, 0, "{'description': null, 'details': []}", true, NULL, NULL},
    {"printerLocation", NULL, V1, 0, "{'latitude': null, 'organization': null, 'floor': null}",
     true, NULL, NULL},
    {"printTaskStatus", NULL, V1, W, "{'state': null}", false, "state", "cannot be null"},
    {"printTask", NULL, V1, W, "{'status': null}", false, "status", "cannot be null"},
    {"printJob", NULL, V1, 0, "null", false, "", "=The value cannot be null."},
    {"printJob", "value[0]", V1, 0, "null", false, "value[0]",
     "=Property 'value[0]' cannot be null."},
    {"printDocumentUploadProperties", NULL, V1, W,
     "{'documentName': 'a.pdf', 'contentType': 'application/pdf', 'size': null}", false, "size",
     "cannot be null"},
};

static const vcase_t unknown_cases[] = {
    {"printer", NULL, V1, 0, "{'foo': 1}", false, "foo", UNKNOWN("foo", "printer")},
    {"microsoft.graph.printer", NULL, V1, 0, "{'displayName': 'p'}", true, NULL, NULL},
    {"printerShare", NULL, V1, 0, "{'DisplayName': 'x'}", false, "DisplayName",
     UNKNOWN("DisplayName", "printerShare")},
    {"printJob", NULL, V1, W, "{'configuration': {'colour': 'color'}}", false,
     "configuration.colour", UNKNOWN("configuration.colour", "printJobConfiguration")},
    {"printerLocation", NULL, V1, 0, "{'subUnit': ['East Wing']}", false, "subUnit",
     UNKNOWN("subUnit", "printerLocation")},
    {"printerLocation", NULL, V1, 0, "{'subunit': ['East Wing']}", true, NULL, NULL},
    {"printerShare", NULL, V1, 0, "{'isShared': true}", false, "isShared",
     UNKNOWN("isShared", "printerShare")},
    {"printerBase", NULL, V1, 0, "{'hasPhysicalDevice': true}", false, "hasPhysicalDevice",
     UNKNOWN("hasPhysicalDevice", "printerBase")},
    {"printer", NULL, V1, 0, "{'queueBufferSizeInBytes': 1}", false, "queueBufferSizeInBytes",
     NULL},
    {"print", NULL, V1, 0, "{'id': 'x'}", false, "id", UNKNOWN("id", "print")},
};

static const vcase_t version_cases[] = {
    {"printer", NULL, V1, W, "{'name': 'PrinterName'}", false, "name", UNKNOWN("name", "printer")},
    {"printer", NULL, BETA, W, "{'name': 'PrinterName'}", true, NULL, NULL},
    {"printer", NULL, V1, 0, "{'acceptingJobs': true}", false, "acceptingJobs", NULL},
    {"printer", NULL, BETA, 0, "{'acceptingJobs': true}", true, NULL, NULL},
    {"printJob", NULL, V1, W, "{'displayName': 'j'}", false, "displayName",
     UNKNOWN("displayName", "printJob")},
    {"printJob", NULL, BETA, W, "{'displayName': 'j'}", true, NULL, NULL},
    {"printerLocation", "location", V1, 0, "{'floorNumber': 3}", false, "location.floorNumber",
     UNKNOWN("location.floorNumber", "printerLocation")},
    {"printerLocation", "location", BETA, 0, "{'floorNumber': 3}", true, NULL, NULL},
    {"printDocument", NULL, BETA, 0,
     "{'size': 0, 'configuration': {'feedDirection': 'longEdgeFirst', 'copies': 1}}", true, NULL,
     NULL},
    {"printDocument", NULL, V1, 0, "{'configuration': {'copies': 1}}", false, "configuration",
     UNKNOWN("configuration", "printDocument")},
    {"printJobConfiguration", NULL, V1, 0, "{'feedOrientation': 'unknownFutureValue'}", true, NULL,
     NULL},
    {"printJobConfiguration", NULL, BETA, 0, "{'feedOrientation': 'unknownFutureValue'}", false,
     "feedOrientation",
     "=Invalid value 'unknownFutureValue' for property 'feedOrientation' "
     "(printerFeedOrientation). Allowed values: longEdgeFirst, shortEdgeFirst."},
    {"printerDefaults", NULL, BETA, 0, "{'printColorConfiguration': 'grayscale'}", true, NULL,
     NULL},
    {"printerDefaults", NULL, BETA, 0, "{'printColorConfiguration': 'unknownFutureValue'}", false,
     "printColorConfiguration", "Allowed values: blackAndWhite, grayscale, color, auto."},
    {"printerStatus", NULL, BETA, 0, "{'processingStateReasons': ['mediaJam']}", true, NULL, NULL},
    {"printerStatus", NULL, V1, 0, "{'processingStateReasons': ['mediaJam']}", false,
     "processingStateReasons", NULL},
    {"printer", NULL, V1, W,
     "{'share@odata.bind': 'https://graph.microsoft.com/beta/print/shares/s'}", false,
     "share@odata.bind", "does not exist on type 'microsoft.graph.printer'"},
    {"printer", NULL, BETA, W,
     "{'share@odata.bind': 'https://graph.microsoft.com/beta/print/shares/s'}", true, NULL, NULL},
    {"print", NULL, V1, 0, "{'printerShares': []}", false, "printerShares", NULL},
    {"print", NULL, BETA, 0, "{'printerShares': []}", true, NULL, NULL},
    {"printConnector", NULL, BETA, 0,
     "{'deviceHealth': {'lastConnectionTime': '2021-01-01T00:00:00Z'}}", true, NULL, NULL},
    {"printConnector", NULL, BETA, 0, "{'deviceHealth': {'lastConnectionTime': 'now'}}", false,
     "deviceHealth.lastConnectionTime", "must be of type DateTimeOffset"},
    {"printerCapabilities", NULL, BETA, 0,
     "{'supportedCopiesPerJob': {'minimum': 1, 'maximum': 99}}", true, NULL, NULL},
    {"printerCapabilities", NULL, V1, 0, "{'copiesPerJob': {'minimum': 1}}", false,
     "copiesPerJob.minimum", UNKNOWN("copiesPerJob.minimum", "integerRange")},
};

static const vcase_t readonly_cases[] = {
    {"printJob", NULL, V1, 0,
     "{'status': {'state': 'paused', 'description': '', 'details': [], 'isAcquiredByPrinter': "
     "false}}",
     true, NULL, NULL},
    {"printJob", NULL, V1, W, "{'status': {'state': 'paused'}}", false, "status",
     "=The property 'status' is read-only and cannot be set."},
    {"printJob", NULL, V1, W, "{'configuration': {'copies': 2}}", true, NULL, NULL},
    {"printer", NULL, V1, W, "{'capabilities': {'isColorPrintingSupported': true}}", false,
     "capabilities.isColorPrintingSupported",
     "=The property 'capabilities.isColorPrintingSupported' is read-only and cannot be set."},
    {"printer", NULL, V1, 0, "{'capabilities': {'isColorPrintingSupported': true}}", true, NULL,
     NULL},
    {"printer", NULL, V1, W, "{'id': 'x'}", false, "id",
     "=The property 'id' is read-only and cannot be set."},
    {"printerShare", NULL, V1, W, "{'printer': {'id': 'p'}}", false, "printer",
     "=The property 'printer' is read-only and cannot be set."},
    {"printerShare", NULL, V1, 0, "{'printer': {'id': 'p'}}", true, NULL, NULL},
    {"printerShare", NULL, V1, W,
     "{'displayName': 's', 'allowAllUsers': true, 'printer@odata.bind': "
     "'https://graph.microsoft.com/v1.0/print/printers/p'}",
     true, NULL, NULL},
    {"printTaskDefinition", NULL, V1, W,
     "{'displayName': 'd', 'createdBy': {'displayName': 'app'}}", true, NULL, NULL},
    {"printTaskDefinition", NULL, V1, W, "{'createdBy': {'appId': 'a'}}", false, "createdBy.appId",
     "=The property 'createdBy.appId' is read-only and cannot be set."},
    {"printTask", NULL, V1, W, "{'status': {'state': 'completed', 'description': 'completed'}}",
     true, NULL, NULL},
    {"printTaskTrigger", NULL, V1, W,
     "{'event': 'jobStarted', 'definition@odata.bind': "
     "'https://graph.microsoft.com/v1.0/print/taskDefinitions/d'}",
     true, NULL, NULL},
    {"printTaskTrigger", NULL, V1, W, "{'definition': {'id': 'd'}}", false, "definition",
     "read-only"},
    {"printer", NULL, V1, W,
     "{'displayName': 'p', 'defaults': {'copiesPerJob': 1}, 'location': {'building': 'b'}}", true,
     NULL, NULL},
    {"printJob", NULL, V1, W, "{'documents': []}", false, "documents", "read-only"},
    {"printSettings", NULL, V1, W, "{'documentConversionEnabled': true}", true, NULL, NULL},
    {"printJob", NULL, V1, W, "{'createdBy': {'displayName': 'x'}}", false, "createdBy",
     "read-only"},
};

static const vcase_t annotation_cases[] = {
    {"printJobConfiguration", NULL, V1, 0,
     "{'@odata.type': 'microsoft.graph.printJobConfiguration'}", false, "@odata.type",
     "=The annotation '@odata.type' is not allowed here."},
    {"printJobConfiguration", NULL, V1, A,
     "{'@odata.type': 'microsoft.graph.printJobConfiguration'}", true, NULL, NULL},
    {"printJobConfiguration", NULL, V1, A,
     "{'@odata.type': '#microsoft.graph.printJobConfiguration'}", true, NULL, NULL},
    {"printJobConfiguration", "configuration", V1, A, "{'@odata.type': '#microsoft.graph.printer'}",
     false, "configuration.@odata.type",
     "=The annotation 'configuration.@odata.type' names '#microsoft.graph.printer', which is not "
     "microsoft.graph.printJobConfiguration or a type derived from it."},
    {"printJobConfiguration", NULL, V1, A, "{'@odata.type': 'printJobConfiguration'}", false,
     "@odata.type", "which is not microsoft.graph.printJobConfiguration"},
    {"printJobConfiguration", NULL, V1, A, "{'@odata.type': '#microsoft.graph.nothing'}", false,
     "@odata.type", NULL},
    {"printJobConfiguration", NULL, V1, A, "{'@odata.type': 5}", false, "@odata.type",
     "=The annotation '@odata.type' must be a string."},
    {"printOperation", NULL, V1, A,
     "{'@odata.type': '#microsoft.graph.printerCreateOperation', 'certificate': 'c'}", true, NULL,
     NULL},
    {"printOperation", NULL, V1, A, "{'certificate': 'c'}", false, "certificate",
     UNKNOWN("certificate", "printOperation")},
    {"printer", NULL, V1, A, "{'@odata.type': '#microsoft.graph.printerBase'}", false,
     "@odata.type", "not microsoft.graph.printer or a type derived from it"},
    {"printerBase", NULL, V1, A, "{'@odata.type': '#microsoft.graph.printer', 'isShared': true}",
     true, NULL, NULL},
    {"printer", NULL, V1, 0, "{'jobs@odata.count': 3}", false, "jobs@odata.count",
     "=The annotation 'jobs@odata.count' is not allowed here."},
    {"printer", NULL, V1, A, "{'jobs@odata.count': 3}", true, NULL, NULL},
    {"printer", NULL, V1, A,
     "{'@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#print/printers/$entity', "
     "'@odata.etag': 'W/1', 'displayName@odata.type': '#String'}",
     true, NULL, NULL},
    {"printer", NULL, V1, 0, "{'@odata.context': 'x'}", false, "@odata.context", NULL},
    {"printerShare", NULL, V1, W, "{'printer@odata.bind': 5}", false, "printer@odata.bind",
     "=The annotation 'printer@odata.bind' must be the URL of a printer."},
    {"printerShare", NULL, V1, W, "{'printer@odata.bind': ['a']}", false, "printer@odata.bind",
     NULL},
    {"printerShare", NULL, V1, W, "{'printer@odata.bind': ''}", false, "printer@odata.bind", NULL},
    {"printerShare", NULL, V1, W,
     "{'allowedUsers@odata.bind': ['https://graph.microsoft.com/v1.0/users/a', 'b']}", true, NULL,
     NULL},
    {"printerShare", NULL, V1, W, "{'allowedUsers@odata.bind': 'https://x/users/a'}", true, NULL,
     NULL},
    {"printerShare", NULL, V1, W, "{'allowedUsers@odata.bind': ['a', 1]}", false,
     "allowedUsers@odata.bind[1]", "must be a URL of a user"},
    {"printerShare", NULL, V1, A, "{'displayName@odata.bind': 'x'}", false,
     "displayName@odata.bind", "'displayName' is not a navigation property"},
    {"printerShare", NULL, V1, A, "{'foo@odata.bind': 'x'}", false, "foo@odata.bind",
     UNKNOWN("foo", "printerShare")},
    {"printerShare", "value[1]", V1, W, "{'foo@odata.bind': 'x'}", false, "value[1].foo@odata.bind",
     UNKNOWN("value[1].foo", "printerShare")},
    {"printJob", NULL, V1, W | A,
     "{'configuration': {'@odata.type': 'microsoft.graph.printJobConfiguration', 'pageRanges': "
     "[{'@odata.type': 'microsoft.graph.integerRange', 'start': 1, 'end': 1}]}}",
     true, NULL, NULL},
    {"printJob", NULL, V1, W,
     "{'configuration': {'@odata.type': 'microsoft.graph.printJobConfiguration'}}", false,
     "configuration.@odata.type", "not allowed"},
    {"printJob", NULL, V1, W | A,
     "{'configuration': {'pageRanges': [{'@odata.type': 'microsoft.graph.printMargin'}]}}", false,
     "configuration.pageRanges[0].@odata.type", NULL},
    {"printJobConfiguration", NULL, V1, A,
     "{'@odata.type': '#microsoft.graph.printerDocumentConfiguration'}", false, "@odata.type",
     NULL},
};

static const vcase_t open_cases[] = {
    {"userIdentity", NULL, V1, 0,
     "{'id': 'u', 'displayName': 'n', 'userPrincipalName': 'u@x', 'ipAddress': null, 'extra': "
     "{'a': [1, 2]}}",
     true, NULL, NULL},
    {"identitySet", NULL, V1, 0,
     "{'user': {'id': '1', 'custom': true}, 'application': null, "
     "'other': 1}",
     true, NULL, NULL},
    {"identity", NULL, V1, 0, "{'displayName': 5}", false, "displayName", "must be of type String"},
    {"identitySet", NULL, V1, 0, "{'device': {'id': []}}", false, "device.id", NULL},
    {"user", NULL, V1, 0, "{'id': 'u', 'mail': 'a@b', 'nested': {'x': null}}", true, NULL, NULL},
    {"group", NULL, V1, 0, "{'id': 5}", false, "id", NULL},
    {"printerShare", NULL, V1, 0, "{'allowedUsers': [{'id': 'u', 'displayName': 'x', 'k': 1}]}",
     true, NULL, NULL},
    {"userIdentity", NULL, V1, W, "{'custom': 1}", true, NULL, NULL},
    {"userIdentity", NULL, V1, W, "{'id': 'x'}", false, "id", "read-only"},
    {"printJob", NULL, V1, 0, "{'createdBy': {'id': 'x', 'custom': 1}}", true, NULL, NULL},
    {"appIdentity", NULL, V1, 0, "{'custom': 1}", false, "custom",
     UNKNOWN("custom", "appIdentity")},
};

START_TEST(test_nested)
{
  run_case(&nested_cases[_i]);
}
END_TEST

START_TEST(test_null)
{
  run_case(&null_cases[_i]);
}
END_TEST

START_TEST(test_unknown)
{
  run_case(&unknown_cases[_i]);
}
END_TEST

START_TEST(test_version)
{
  run_case(&version_cases[_i]);
}
END_TEST

START_TEST(test_readonly)
{
  run_case(&readonly_cases[_i]);
}
END_TEST

START_TEST(test_annotation)
{
  run_case(&annotation_cases[_i]);
}
END_TEST

START_TEST(test_open)
{
  run_case(&open_cases[_i]);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The other entry points
 */

START_TEST(test_validate_property)
{
  up_error_t err;
  json_t *v = jq("{'copies': 'two'}");
  json_t *url = jq("'https://graph.microsoft.com/v1.0/print/printers/p'");

  ck_assert(
      !up_schema_validate_property(schema, "printJob", "configuration", v, V1, W, NULL, &err));
  expect_error(&err, "configuration.copies",
               "=Property 'configuration.copies' must be of type Int32.", "property");
  ck_assert(!up_schema_validate_property(schema, "printJob", "configuration", v, V1, W, "value[0]",
                                         &err));
  expect_error(&err, "value[0].configuration.copies", NULL, "prefixed");
  ck_assert(!up_schema_validate_property(schema, "printJob", "status", v, V1, W, NULL, &err));
  expect_error(&err, "status", "=The property 'status' is read-only and cannot be set.", "ro");
  ck_assert(!up_schema_validate_property(schema, "printJob", "colour", v, V1, 0, NULL, &err));
  expect_error(&err, "colour", UNKNOWN("colour", "printJob"), "unknown");
  ck_assert(
      !up_schema_validate_property(schema, "printJob", "configuration", NULL, V1, W, NULL, &err));
  expect_error(&err, "configuration", "=Property 'configuration' cannot be null.", "NULL");
  ck_assert(up_schema_validate_property(schema, "printJob", "errorCode", NULL, V1, 0, NULL, &err));
  ck_assert(up_schema_validate_property(schema, "printerShare", "printer@odata.bind", url, V1, W,
                                        NULL, &err));
  ck_assert(!up_schema_validate_property(schema, "printerShare", "printer@odata.bind", v, V1, W,
                                         NULL, &err));
  expect_error(&err, "printer@odata.bind", NULL, "bind");
  /* not a structured type, unknown type */
  ck_assert(!up_schema_validate_property(schema, "printColorMode", "x", v, V1, 0, NULL, &err));
  ck_assert_int_eq(err.status, UP_INTERNAL);
  ck_assert(!up_schema_validate_property(schema, "nope", "x", v, V1, 0, NULL, &err));
  ck_assert_int_eq(err.status, UP_INTERNAL);
  json_decref(v);
  json_decref(url);
}
END_TEST

START_TEST(test_unknown_type)
{
  up_error_t err;
  json_t *v = jq("{'lastConnectionTime': '2021-01-01T00:00:00Z'}");
  ck_assert(!up_schema_validate(schema, "nope", v, V1, 0, NULL, &err));
  ck_assert_int_eq(err.status, UP_INTERNAL);
  ck_assert(!up_schema_validate(schema, NULL, v, V1, 0, NULL, &err));
  ck_assert(!up_schema_validate(NULL, "deviceHealth", v, BETA, 0, NULL, &err));
  /* a beta-only type does not exist in v1.0 */
  ck_assert(!up_schema_validate(schema, "deviceHealth", v, V1, 0, NULL, &err));
  ck_assert_int_eq(err.status, UP_INTERNAL);
  ck_assert(up_schema_validate(schema, "deviceHealth", v, BETA, 0, NULL, &err));
  ck_assert(up_schema_validate(schema, "microsoft.graph.deviceHealth", v, BETA, 0, NULL, &err));
  json_decref(v);
}
END_TEST

START_TEST(test_property_find)
{
  bool ro = true, nullable = true, nav = true;
  ck_assert(up_schema_property_find(schema, "printer", "displayName", V1, &ro, &nullable, &nav));
  ck_assert(!ro && !nullable && !nav);
  ck_assert(
      up_schema_property_find(schema, "microsoft.graph.printer", "status", V1, &ro, NULL, NULL));
  ck_assert(ro);
  ck_assert(up_schema_property_find(schema, "printer", "id", V1, &ro, &nullable, NULL));
  ck_assert(ro && !nullable);
  ck_assert(up_schema_property_find(schema, "printerShare", "printer", V1, &ro, &nullable, &nav));
  ck_assert(!ro && nullable && nav);
  ck_assert(up_schema_property_find(schema, "printJob", "tasks", V1, &ro, NULL, &nav));
  ck_assert(ro && nav);
  ck_assert(!up_schema_property_find(schema, "printer", "name", V1, NULL, NULL, NULL));
  ck_assert(up_schema_property_find(schema, "printer", "name", BETA, NULL, NULL, NULL));
  ck_assert(
      up_schema_property_find(schema, "printJobStatus", "description", V1, NULL, &nullable, NULL));
  ck_assert(!nullable);
  ck_assert(up_schema_property_find(schema, "printJobStatus", "description", BETA, NULL, &nullable,
                                    NULL));
  ck_assert(nullable);
  ck_assert(!up_schema_property_find(schema, "printer", "Status", V1, NULL, NULL, NULL));
  ck_assert(!up_schema_property_find(schema, "printerShare", "isShared", V1, NULL, NULL, NULL));
  ck_assert(!up_schema_property_find(schema, "nope", "id", V1, NULL, NULL, NULL));
  ck_assert(!up_schema_property_find(schema, "printColorMode", "color", V1, NULL, NULL, NULL));
  ck_assert(
      !up_schema_property_find(schema, "deviceHealth", "lastConnectionTime", V1, NULL, NULL, NULL));
  ck_assert(!up_schema_property_find(NULL, "printer", "id", V1, NULL, NULL, NULL));
  ck_assert(!up_schema_property_find(schema, "printer", NULL, V1, NULL, NULL, NULL));
}
END_TEST

/* Client-supplied names and values are cut on UTF-8 boundaries in messages and targets. */
START_TEST(test_long_input)
{
  char key[1024] = "", path[400];
  up_error_t err;
  json_t *doc;

  for (int i = 0; i < 300; i++)
    strcat(key, "\xc3\xa9"); /* é */
  doc = json_pack("{s:i}", key, 1);
  ck_assert(!up_schema_validate(schema, "printer", doc, V1, 0, NULL, &err));
  json_decref(doc);
  ck_assert_uint_le(strlen(err.target), sizeof(err.target) - 1);
  ck_assert(utf8_ok(err.target) && utf8_ok(err.message));
  ck_assert(strstr(err.message, "does not exist on type 'microsoft.graph.printer'") != NULL);

  doc = json_pack("{s:s}", "colorMode", key);
  ck_assert(!up_schema_validate(schema, "printJobConfiguration", doc, V1, 0, NULL, &err));
  json_decref(doc);
  ck_assert(utf8_ok(err.message));
  ck_assert(strstr(err.message, "...' for property 'colorMode'") != NULL);

  memset(path, 'p', sizeof(path) - 1);
  path[sizeof(path) - 1] = '\0';
  doc = jq("{'copies': 'x'}");
  ck_assert(!up_schema_validate(schema, "printJobConfiguration", doc, V1, 0, path, &err));
  json_decref(doc);
  ck_assert_uint_eq(strlen(err.target), sizeof(err.target) - 1);
  ck_assert(utf8_ok(err.message));

  doc = json_pack("{s:{s:s}}", "configuration", key, "x");
  ck_assert(!up_schema_validate(schema, "printJob", doc, V1, 0, key, &err));
  json_decref(doc);
  ck_assert(utf8_ok(err.target) && utf8_ok(err.message));
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The model file itself
 */

static json_t *models_json(void)
{
  json_error_t jerr;
  json_t *root = NULL;
  for (const up_embedded_file_t *f = up_embedded_files; f->name; f++)
    if (strcmp(f->name, "models.json") == 0)
      root = json_loadb(f->data, f->size, 0, &jerr);
  ck_assert_msg(root != NULL, "models.json is not embedded or not JSON");
  return root;
}

static bool is_primitive(const char *name)
{
  static const char *const names[] = {"String", "Boolean",        "Int32", "Int64",
                                      "Double", "DateTimeOffset", "Date"};
  for (size_t i = 0; i < N(names); i++)
    if (strcmp(name, names[i]) == 0)
      return true;
  return false;
}

/* Every referenced type resolves, and every property is found in the versions the file says. */
START_TEST(test_models_resolve)
{
  json_t *root = models_json();
  json_t *enums = json_object_get(root, "enums"), *types = json_object_get(root, "types");
  json_t *def, *spec, *empty = json_object();
  const char *tname, *pname;
  int nprops = 0, nenums = 0;
  up_error_t err;

  json_object_foreach(types, tname, def)
  {
    bool beta_type = json_object_get(def, "version") != NULL;
    ck_assert_msg(up_schema_validate(schema, tname, empty, BETA, 0, NULL, &err), "%s: %s", tname,
                  err.message);
    ck_assert(up_schema_validate(schema, tname, empty, V1, 0, NULL, &err) == !beta_type);
    json_object_foreach(json_object_get(def, "properties"), pname, spec)
    {
      char ref[128];
      const char *s = json_string_value(spec);
      size_t n = strcspn(s, " ");
      bool beta = beta_type || strstr(s, " beta") != NULL;
      bool nav = false;
      ck_assert_uint_lt(n, sizeof(ref));
      if (strncmp(s, "Collection(", 11) == 0)
        snprintf(ref, sizeof(ref), "%.*s", (int)(n - 12), s + 11);
      else
        snprintf(ref, sizeof(ref), "%.*s", (int)n, s);
      if (json_object_get(enums, ref)) {
        json_t *first = json_array_get(json_object_get(json_object_get(enums, ref), "members"), 0);
        ck_assert(up_schema_enum_has(schema, ref, json_string_value(json_array_get(first, 0))));
      } else if (!is_primitive(ref)) {
        ck_assert_msg(json_object_get(types, ref) != NULL, "%s.%s: dangling type %s", tname, pname,
                      ref);
        ck_assert_msg(up_schema_validate(schema, ref, empty, BETA, 0, NULL, &err), "%s", ref);
      }
      ck_assert_msg(up_schema_property_find(schema, tname, pname, BETA, NULL, NULL, &nav), "%s.%s",
                    tname, pname);
      ck_assert(nav == (strstr(s, " nav") != NULL));
      ck_assert_msg(up_schema_property_find(schema, tname, pname, V1, NULL, NULL, NULL) == !beta,
                    "%s.%s in v1.0", tname, pname);
      nprops++;
    }
  }
  json_object_foreach(enums, tname, def)
  {
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(def, "members"), i, m) ck_assert_int_eq(
        up_schema_enum_value(schema, tname, json_string_value(json_array_get(m, 0))),
        json_integer_value(json_array_get(m, 1)));
    nenums++;
  }
  ck_assert_int_gt(nprops, 250);
  ck_assert_int_ge(nenums, 22);
  ck_assert_uint_eq(json_array_size(json_object_get(
                        json_object_get(enums, "printerProcessingStateDetail"), "members")),
                    826);
  json_decref(empty);
  json_decref(root);
}
END_TEST

typedef struct bad_model {
  const char *what;
  const char *text;    /* ' for " */
  const char *message; /* part of the loader's message */
} bad_model_t;

#define T(body) "{'enums': {}, 'types': {" body "}}"
static const bad_model_t bad_models[] = {
    {"not JSON", "{", "models.json: line"},
    {"array", "[]", "expected an object"},
    {"no types", "{'enums': {}}", "expected an object"},
    {"unknown top-level key", "{'enums': {}, 'types': {}, 'extra': 1}", "unknown top-level key"},
    {"dangling type", T("'a': {'kind': 'complex', 'properties': {'x': 'nope'}}"),
     "unknown type 'nope'"},
    {"dangling element type",
     T("'a': {'kind': 'complex', 'properties': {'x': 'Collection(nope)'}}"), "unknown type"},
    {"unclosed collection", T("'a': {'kind': 'complex', 'properties': {'x': 'Collection(String'}}"),
     "unknown type"},
    {"empty spec", T("'a': {'kind': 'complex', 'properties': {'x': ''}}"), "unknown type"},
    {"spec not a string", T("'a': {'kind': 'complex', 'properties': {'x': 1}}"),
     "must be a string"},
    {"dangling base", T("'a': {'kind': 'complex', 'base': 'nope', 'properties': {}}"), "base type"},
    {"base of another kind",
     T("'a': {'kind': 'complex', 'properties': {}}, 'b': {'kind': 'entity', 'base': 'a', "
       "'properties': {}}"),
     "base type"},
    {"base cycle",
     T("'a': {'kind': 'complex', 'base': 'b', 'properties': {}}, 'b': {'kind': 'complex', 'base': "
       "'a', 'properties': {}}"),
     "cycle"},
    {"property in base and derived",
     T("'a': {'kind': 'complex', 'properties': {'x': 'String'}}, 'b': {'kind': 'complex', 'base': "
       "'a', 'properties': {'x': 'Int32'}}"),
     "declared twice"},
    {"nav to a complex type",
     T("'a': {'kind': 'complex', 'properties': {}}, 'b': {'kind': 'entity', 'properties': {'x': "
       "'a nav'}}"),
     "'nav'"},
    {"entity without nav",
     T("'a': {'kind': 'entity', 'properties': {}}, 'b': {'kind': 'entity', 'properties': {'x': "
       "'a'}}"),
     "'nav'"},
    {"contained without nav",
     T("'a': {'kind': 'complex', 'properties': {'x': 'String contained'}}"), "'contained'"},
    {"unknown flag", T("'a': {'kind': 'complex', 'properties': {'x': 'String nullible'}}"),
     "unknown flag 'nullible'"},
    {"bad kind", T("'a': {'kind': 'struct', 'properties': {}}"), "\"kind\""},
    {"unknown type key", T("'a': {'kind': 'complex', 'opne': true, 'properties': {}}"),
     "unknown or malformed key 'opne'"},
    {"no properties", T("'a': {'kind': 'complex'}"), "\"properties\""},
    {"bad property name", T("'a': {'kind': 'complex', 'properties': {'x-y': 'String'}}"),
     "bad property name"},
    {"clash with a primitive", T("'String': {'kind': 'complex', 'properties': {}}"),
     "defined twice"},
    {"enum and type of one name",
     "{'enums': {'a': {'members': [['x', 0]]}}, 'types': {'a': {'kind': 'complex', 'properties': "
     "{}}}}",
     "defined twice"},
    {"duplicate JSON key",
     T("'a': {'kind': 'complex', 'properties': {'x': 'String', 'x': 'Int32'}}"), "duplicate"},
    {"v1.0 property of a beta-only type",
     T("'a': {'kind': 'complex', 'version': 'beta', 'properties': {}}, 'b': {'kind': 'complex', "
       "'properties': {'x': 'a'}}"),
     "missing in some of its versions"},
    {"bad type version", T("'a': {'kind': 'complex', 'version': 'v2', 'properties': {}}"),
     "\"version\""},
    {"empty enum", "{'enums': {'e': {'members': []}}, 'types': {}}", "non-empty"},
    {"enum values not increasing",
     "{'enums': {'e': {'members': [['a', 1], ['b', 1]]}}, 'types': {}}", "must increase"},
    {"enum member twice", "{'enums': {'e': {'members': [['a', 1], ['a', 2]]}}, 'types': {}}",
     "declared twice"},
    {"enum member shape", "{'enums': {'e': {'members': [['a']]}}, 'types': {}}", "member 0"},
    {"enum member value", "{'enums': {'e': {'members': [['a', 'b']]}}, 'types': {}}", "member 0"},
    {"enum member version", "{'enums': {'e': {'members': [['a', 1, 'v2']]}}, 'types': {}}",
     "bad version"},
    {"enum member outside the enum's version",
     "{'enums': {'e': {'version': 'beta', 'members': [['a', 1, 'v1.0']]}}, 'types': {}}",
     "no version"},
    {"enum unknown key",
     "{'enums': {'e': {'members': [['a', 1]], 'evolvable': true}}, 'types': {}}", "unknown key"},
};

START_TEST(test_loader_refuses)
{
  const bad_model_t *c = &bad_models[_i];
  char text[1024];
  up_schema_t *s = (up_schema_t *)1;
  up_error_t err;
  size_t n = strlen(c->text);
  ck_assert_uint_lt(n, sizeof(text));
  for (size_t i = 0; i <= n; i++)
    text[i] = c->text[i] == '\'' ? '"' : c->text[i];
  ck_assert_msg(up_schema_load_text(text, n, &s, &err) == UP_INVALID, "%s: loaded", c->what);
  ck_assert(s == NULL);
  ck_assert_msg(strncmp(err.message, "models.json: ", 13) == 0, "%s: %s", c->what, err.message);
  ck_assert_msg(strstr(err.message, c->message) != NULL, "%s: '%s' lacks '%s'", c->what,
                err.message, c->message);
}
END_TEST

START_TEST(test_loader_small_model)
{
  const char *text =
      "{\"$comment\": \"x\", \"enums\": {\"color\": {\"members\": [[\"red\", 0], "
      "[\"unknownFutureValue\", 1], [\"blue\", 2, \"beta\"]]}}, \"types\": {"
      "\"base\": {\"kind\": \"entity\", \"abstract\": true, \"properties\": {\"id\": \"String "
      "readonly\"}}, "
      "\"thing\": {\"kind\": \"entity\", \"base\": \"base\", \"hasStream\": true, \"properties\": {"
      "\"c\": \"color  nullable\", \"n\": \"Collection(Int32)\", \"p\": \"thing nullable nav "
      "contained\", \"old\": \"String v1.0\"}}}}";
  up_schema_t *s = NULL;
  up_error_t err;
  json_t *v;

  ck_assert_int_eq(up_schema_load_text(text, strlen(text), &s, &err), UP_OK);
  ck_assert(up_schema_enum_is_evolvable(s, "color", "blue"));
  ck_assert(!up_schema_enum_is_evolvable(s, "color", "red"));
  v = jq("{'c': 'blue', 'n': [1, 2], 'p': {'id': 'x', 'c': null}}");
  ck_assert(!up_schema_validate(s, "thing", v, V1, 0, NULL, &err));
  expect_error(&err, "c", "Allowed values: red, unknownFutureValue.", "v1.0");
  ck_assert_msg(up_schema_validate(s, "thing", v, BETA, 0, NULL, &err), "%s", err.message);
  ck_assert(!up_schema_validate(s, "thing", v, BETA, W, NULL, &err));
  expect_error(&err, "p", "read-only", "nav");
  json_decref(v);
  ck_assert(up_schema_property_find(s, "thing", "old", V1, NULL, NULL, NULL));
  ck_assert(!up_schema_property_find(s, "thing", "old", BETA, NULL, NULL, NULL));
  up_schema_free(s);
  up_schema_free(NULL);
}
END_TEST

/* Members after unknownFutureValue are hidden from clients that did not ask for them. */
START_TEST(test_hide_evolvable)
{
  json_t *body = json_loads(
      "{\"value\":[{\"status\":{\"state\":\"stopped\",\"details\":[\"developerEmpty\","
      "\"banderAdded\"]},\"defaults\":{\"finishings\":[\"staple\",\"bindLeft\"]},"
      "\"displayName\":\"bindLeft\"}],\"job\":{\"status\":{\"details\":[\"interpreting\"]},"
      "\"configuration\":{\"finishings\":[\"trimAfterJob\",\"none\"]}},"
      "\"@odata.context\":\"banderAdded\"}",
      0, NULL);
  ck_assert_ptr_nonnull(body);
  up_schema_hide_evolvable(schema, body);
  char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
  ck_assert_str_eq(text,
                   "{\"value\":[{\"status\":{\"state\":\"stopped\",\"details\":[\"developerEmpty\","
                   "\"unknownFutureValue\"]},\"defaults\":{\"finishings\":[\"staple\","
                   "\"unknownFutureValue\"]},\"displayName\":\"bindLeft\"}],\"job\":{\"status\":{"
                   "\"details\":[\"interpreting\"]},\"configuration\":{\"finishings\":["
                   "\"unknownFutureValue\",\"none\"]}},\"@odata.context\":\"banderAdded\"}");
  free(text);
  json_decref(body);
}
END_TEST

static Suite *schema_suite(void)
{
  Suite *s = suite_create("schema");
  TCase *tc;

  tc = tcase_create("enums");
  tcase_add_unchecked_fixture(tc, schema_setup, schema_teardown);
  tcase_add_loop_test(tc, test_enum_members, 0, N(enum_cases));
  tcase_add_loop_test(tc, test_enum_bad_value, 0, N(enum_cases));
  tcase_add_test(tc, test_enum_helpers);
  tcase_add_test(tc, test_hide_evolvable);
  tcase_add_test(tc, test_enum_huge_message);
  suite_add_tcase(s, tc);

  tc = tcase_create("values");
  tcase_add_unchecked_fixture(tc, schema_setup, schema_teardown);
  tcase_add_loop_test(tc, test_edm, 0, N(edm_cases));
  tcase_add_loop_test(tc, test_nested, 0, N(nested_cases));
  tcase_add_loop_test(tc, test_null, 0, N(null_cases));
  tcase_add_loop_test(tc, test_unknown, 0, N(unknown_cases));
  tcase_add_loop_test(tc, test_version, 0, N(version_cases));
  tcase_add_loop_test(tc, test_readonly, 0, N(readonly_cases));
  tcase_add_loop_test(tc, test_annotation, 0, N(annotation_cases));
  tcase_add_loop_test(tc, test_open, 0, N(open_cases));
  tcase_add_test(tc, test_validate_property);
  tcase_add_test(tc, test_unknown_type);
  tcase_add_test(tc, test_property_find);
  tcase_add_test(tc, test_long_input);
  suite_add_tcase(s, tc);

  tc = tcase_create("models");
  tcase_add_unchecked_fixture(tc, schema_setup, schema_teardown);
  tcase_add_test(tc, test_models_resolve);
  tcase_add_loop_test(tc, test_loader_refuses, 0, N(bad_models));
  tcase_add_test(tc, test_loader_small_model);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(schema_suite());
  int failed;
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
