"""Component ids: one constant per id, so a typo is an AttributeError, not a silent dead callback."""

from __future__ import annotations

from enum import StrEnum


class Ids(StrEnum):
    # shell
    URL = "url"
    NAV = "nav"
    DATASET_BADGE = "dataset-badge"
    SYNTHETIC_BANNER = "synthetic-banner"
    N_BADGE = "n-badge"
    FILTER_WARNINGS = "filter-warnings"
    RESET = "filter-reset"
    # global filters
    F_FIRST_LINE = "f-first-line"
    F_PP = "f-pp"
    F_ICI = "f-ici"
    F_BCLC = "f-bclc"
    F_CHILD_PUGH = "f-child-pugh"
    F_ALBI = "f-albi"
    F_ETIOLOGY = "f-etiology"
    F_ECOG = "f-ecog"
    F_CENTER = "f-center"
    F_YEAR = "f-year"
    F_AGE = "f-age"
    F_RESPONSE = "f-response"
    F_PROGRESSED = "f-progressed"
    # survival page
    SURV_ENDPOINT = "surv-endpoint"
    SURV_GROUP = "surv-group"
    SURV_TEST = "surv-test"
    SURV_CONF = "surv-conf"
    SURV_OPTIONS = "surv-options"
    SURV_FIGURE = "surv-figure"
    SURV_MESSAGE = "surv-message"
    SURV_MEDIANS = "surv-medians"
    SURV_TESTS = "surv-tests"
    SURV_HR = "surv-hr"
    SURV_NOTES = "surv-notes"
    SURV_LANDMARK = "surv-landmark"
    SURV_GUARD = "surv-guard"
    SURV_GUARD_PANEL = "surv-guard-panel"
    # cohort page
    COHORT_GROUP = "cohort-group"
    COHORT_TABLE1 = "cohort-table1"
    COHORT_FLOW = "cohort-flow"
    # cox page
    COX_ENDPOINT = "cox-endpoint"
    COX_COVARIATES = "cox-covariates"
    COX_SCREEN = "cox-screen"
    COX_MODEL = "cox-model"
    COX_FOREST = "cox-forest"
    COX_PH = "cox-ph"
    COX_WARNINGS = "cox-warnings"
    COX_JOB_PANEL = "cox-job-panel"
    COX_COMPUTE = "cox-compute"
    COX_CANCEL = "cox-cancel"
    COX_PROGRESS = "cox-progress"
    COX_JOB_NOTE = "cox-job-note"
    # sequences page
    SEQ_SANKEY = "seq-sankey"
    SEQ_TTT = "seq-time-to-therapy"
    SEQ_SUMMARY = "seq-summary"
    # study page
    STUDY_CARDS = "study-cards"
    # response page
    RESP_GROUP = "resp-group"
    RESP_TABLE = "resp-table"
    RESP_BAR = "resp-bar"
    RESP_TESTS = "resp-tests"
