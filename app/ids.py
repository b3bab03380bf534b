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
    # data page
    DATA_UPLOAD = "data-upload"
    DATA_LIMIT = "data-limit"
    DATA_GATE = "data-gate"
    DATA_UPLOAD_MESSAGE = "data-upload-message"
    DATA_FILE_INFO = "data-file-info"
    DATA_ENCODING = "data-encoding"
    DATA_SHEET = "data-sheet"
    DATA_DATE_ORDER = "data-date-order"
    DATA_MAPPING_TABLE = "data-mapping-table"
    DATA_PREVIEW = "data-preview"
    DATA_VALUES = "data-values"
    DATA_REPORT = "data-report"
    DATA_SPEC = "data-spec"
    DATA_LOADED_SPEC = "data-loaded-spec"
    DATA_USE = "data-use"
    DATA_USE_MESSAGE = "data-use-message"
    DATA_BUNDLED = "data-bundled"
    DATA_FORGET = "data-forget"
    DATA_STATUS = "data-status"
    DATA_RELOAD = "data-reload"
    DATA_MAPPING_SAVE = "data-mapping-save"
    DATA_MAPPING_DOWNLOAD = "data-mapping-download"
    DATA_MAPPING_LOAD = "data-mapping-load"
    DATA_EXCLUDED_SAVE = "data-excluded-save"
    DATA_EXCLUDED_DOWNLOAD = "data-excluded-download"
    DATA_TEMPLATE_SAVE = "data-template-save"
    DATA_TEMPLATE_DOWNLOAD = "data-template-download"
    DATA_COLUMN = "data-column"  # pattern-matching type: {"type": DATA_COLUMN, "column": canonical}
    DATA_VALUE = "data-value"  # pattern-matching type: {"type": DATA_VALUE, "column": canonical, "value": index}
    # presenter/export
    PRESENT_SWITCH = "present-switch"
    COPY_LINK = "copy-link"
    SHARE_LINK = "share-link"
    PRESENT_FIGURE = "present-figure"
    PRESENT_TITLE = "present-title"
    PRESENT_SUBTITLE = "present-subtitle"
    PRESENT_TABLE = "present-table"
    PRESENT_FOOTER = "present-footer"
    PRESENT_COUNTER = "present-counter"
    PRESENT_PREV = "present-prev"
    PRESENT_NEXT = "present-next"
    PRESENT_DECK_BUTTON = "present-deck-button"
    PRESENT_DOWNLOAD = "present-download"
    PRESENT_MASK = "present-mask"
    PRESENT_FILTERS = "present-filters"
    EXPORT_BUTTON = "export-button"  # pattern-matching type: {"type": EXPORT_BUTTON, "page": page, "fmt": format}
    EXPORT_MASK = "export-mask"  # pattern-matching type: {"type": EXPORT_MASK, "page": page}
    EXPORT_DOWNLOAD = "export-download"  # pattern-matching type: {"type": EXPORT_DOWNLOAD, "page": page}
    DECK_ADD = "deck-add"  # pattern-matching type: {"type": DECK_ADD, "page": page}
    EXPORT_NOTE = "export-note"  # pattern-matching type: {"type": EXPORT_NOTE, "page": page}
