"""English and Japanese synonyms of the canonical columns and values, and the keys they are compared by."""

from __future__ import annotations

import re
import unicodedata

from analysis.schema import ALBI_GRADES, COLUMNS, FIRST_LINE_DRUGS

COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": (
        "id", "patient", "patient id", "patient no", "patient number", "pt id", "subject id", "case id", "case no",
        "study id", "record id", "患者id", "患者番号", "症例番号", "症例id", "登録番号", "カルテ番号", "id番号", "番号",
    ),
    "center": (
        "centre", "site", "hospital", "institution", "施設", "施設名", "病院", "病院名", "医療機関", "施設コード",
    ),
    "first_line": (
        "first line", "first-line drug", "1st line", "first line drug", "first line therapy", "1l", "1st line drug",
        "regimen", "initial therapy", "一次治療", "1次治療", "一次治療薬", "初回治療", "初回薬剤", "薬剤", "一次薬剤",
    ),
    "first_line_start": (
        "start date", "treatment start", "first line start date", "1st line start", "start", "date of start",
        "一次治療開始日", "1次治療開始日", "治療開始日", "投与開始日", "開始日", "導入日",
    ),
    "age": ("age at start", "age years", "年齢", "治療開始時年齢", "開始時年齢"),
    "sex": ("gender", "性別", "性"),
    "etiology": (
        "aetiology", "cause", "underlying liver disease", "背景肝", "背景肝疾患", "成因", "病因", "肝疾患成因", "原因",
    ),
    "bclc": ("bclc stage", "stage", "bclc病期", "病期", "bclcステージ"),
    "child_pugh_score": (
        "child pugh", "child pugh score", "cp score", "cps", "child pughスコア", "チャイルドピュースコア",
    ),
    "albi_score": ("albi", "albiスコア"),
    "fib4": ("fib 4", "fib4 index", "fib 4 index", "fib-4"),
    "afp": ("alpha fetoprotein", "afp ng/ml", "αフェトプロテイン", "afp値"),
    "ecog": ("ecog ps", "ps", "performance status", "全身状態", "パフォーマンスステータス"),
    "mvi": (
        "macrovascular invasion", "vascular invasion", "pvtt", "脈管侵襲", "門脈侵襲", "大血管浸潤", "脈管浸潤", "vp",
    ),
    "ehs": ("extrahepatic spread", "extrahepatic metastasis", "metastasis", "肝外転移", "遠隔転移", "肝外病変"),
    "best_response": (
        "response", "bor", "best overall response", "best response", "最良総合効果", "最良効果", "治療効果", "効果",
    ),
    "response_criteria": ("criteria", "response criteria", "効果判定基準", "判定基準", "効果判定", "判定方法"),
    "progression_date": (
        "progression", "date of progression", "pd date", "progression date", "増悪日", "進行日", "pd日", "病勢進行日",
        "増悪確認日",
    ),
    "pp_therapy": (
        "post progression therapy", "post-progression therapy", "subsequent therapy", "second line", "2nd line",
        "ppt", "後治療", "二次治療", "2次治療", "増悪後治療", "後治療内容",
    ),
    "pp_start": (
        "post progression therapy start", "subsequent therapy start", "second line start", "2nd line start",
        "後治療開始日", "二次治療開始日", "2次治療開始日", "増悪後治療開始日",
    ),
    "last_contact_date": (
        "last contact", "last follow up", "last follow-up", "last visit", "date of last contact", "last seen",
        "最終確認日", "最終生存確認日", "最終受診日", "最終観察日", "最終転帰確認日",
    ),
    "death_date": ("date of death", "death", "dod", "死亡日"),
    "child_pugh_score_pd": (
        "child pugh score at progression", "child pugh at progression", "child pugh at pd", "child pugh pd",
        "cp score pd", "cp at progression", "増悪時child pugh", "増悪時child pughスコア", "pd時child pugh",
        "増悪時チャイルドピュー", "増悪時cpスコア",
    ),
    "albi_score_pd": ("albi at progression", "albi score at progression", "albi pd", "albi at pd", "増悪時albi",
                      "増悪時albiスコア", "pd時albi"),
    "ecog_pd": ("ecog at progression", "ps at progression", "ecog pd", "ps pd", "ecog ps at progression", "増悪時ps",
                "増悪時ecog ps", "pd時ps", "増悪時全身状態"),
    "afp_pd": ("afp at progression", "afp pd", "afp at pd", "増悪時afp", "pd時afp", "増悪時afp値"),
    "os_months": ("os", "overall survival", "os month", "os months", "全生存期間", "生存期間"),
    "os_event": ("os status", "death event", "status", "vital status", "死亡", "転帰", "生死"),
    "pfs_months": ("pfs", "progression free survival", "pfs month", "無増悪生存期間"),
    "pfs_event": ("pfs status", "pfs event", "増悪イベント"),
    "pps_months": ("pps", "post progression survival", "増悪後生存期間"),
    "pps_event": ("pps status", "pps event"),
    "child_pugh_class": ("child pugh class", "child pugh grade", "cp class", "child pugh分類"),
    "albi_grade": ("albi grade", "malbi grade", "modified albi grade", "albiグレード"),
}  # fmt: skip
"""Column-name synonyms in English and Japanese, compared after :func:`column_key` normalisation."""

NOT_NEEDED_COLUMNS: dict[str, str] = {
    "生年月日": "not needed: age at first-line start is used",
    "birth date": "not needed: age at first-line start is used",
    "date of birth": "not needed: age at first-line start is used",
    "dob": "not needed: age at first-line start is used",
    "birthday": "not needed: age at first-line start is used",
    "氏名": "looks like patient names: not needed, and not stored",
    "患者名": "looks like patient names: not needed, and not stored",
    "名前": "looks like patient names: not needed, and not stored",
    "カナ": "looks like patient names: not needed, and not stored",
    "フリガナ": "looks like patient names: not needed, and not stored",
    "name": "looks like patient names: not needed, and not stored",
    "patient name": "looks like patient names: not needed, and not stored",
}

_DRUG_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sorafenib": ("sor", "sora", "soraf", "nexavar", "ソラフェニブ", "ネクサバール", "ソラ"),
    "lenvatinib": ("len", "lenva", "lenv", "lenvima", "レンバチニブ", "レンビマ", "レンバ"),
    "atezolizumab_bevacizumab": (
        "atezo+bev", "atezo+beva", "atezolizumab+bevacizumab", "a+b", "ab", "atez+bev", "atezo/bev", "atezobev",
        "アテゾリズマブ+ベバシズマブ", "テセントリク+アバスチン", "アテゾ+ベバ", "atezolizumab", "テセントリク",
    ),
    "regorafenib": ("rego", "reg", "stivarga", "レゴラフェニブ", "スチバーガ"),
    "ramucirumab": ("ram", "ramu", "cyramza", "ラムシルマブ", "サイラムザ"),
    "cabozantinib": ("cabo", "cabometyx", "カボザンチニブ", "カボメティクス"),
    "other_ici": (
        "durvalumab+tremelimumab", "durva+treme", "stride", "nivolumab", "pembrolizumab", "durvalumab",
        "ニボルマブ", "ペムブロリズマブ", "デュルバルマブ", "デュルバルマブ+トレメリムマブ", "イミフィンジ",
        "オプジーボ", "キイトルーダ", "ici", "other ici",
    ),
    "tace": ("tae", "tace/tae", "肝動脈化学塞栓療法", "肝動脈塞栓術", "肝動脈化学塞栓術"),
    "haic": ("肝動注", "動注", "肝動注化学療法", "動注化学療法", "hai"),
    "radiotherapy": ("rt", "radiation", "sbrt", "放射線", "放射線治療", "放射線療法"),
    "none": ("no", "nil", "bsc", "best supportive care", "なし", "無", "無し", "無治療", "緩和", "緩和ケア", "-", "0"),
    "other": ("others", "その他", "他"),
}  # fmt: skip

_BOOL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "1": ("あり", "有", "有り", "+", "陽性", "present", "positive", "pos", "はい", "○", "◯", "true", "yes"),
    "0": ("なし", "無", "無し", "-", "陰性", "absent", "negative", "neg", "いいえ", "×", "false", "no"),
}
_EVENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "1": ("dead", "died", "death", "deceased", "死亡", "event", "progressed", "増悪", "pd"),
    "0": ("alive", "censored", "生存", "打ち切り", "censor", "no event", "無増悪"),
}

_EVENT_AND_BOOL: dict[str, tuple[str, ...]] = {k: (*_BOOL_SYNONYMS[k], *v) for k, v in _EVENT_SYNONYMS.items()}

VALUE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "first_line": {k: v for k, v in _DRUG_SYNONYMS.items() if k in FIRST_LINE_DRUGS},
    "pp_therapy": _DRUG_SYNONYMS,
    "sex": {
        "M": ("male", "man", "m", "男", "男性", "おとこ"),
        "F": ("female", "woman", "w", "f", "女", "女性", "おんな"),
    },
    "etiology": {
        "HBV": ("b", "hbv", "hepatitis b", "b型", "b型肝炎", "hbs", "hbsag", "b型慢性肝炎", "b型肝硬変"),
        "HCV": ("c", "hcv", "hepatitis c", "c型", "c型肝炎", "hcv-ab", "c型慢性肝炎", "c型肝硬変"),
        "alcohol": ("alc", "alcoholic", "ald", "アルコール", "アルコール性", "アル"),
        "MASLD": ("nash", "nafld", "mafld", "mash", "masld", "非アルコール性", "脂肪肝", "非アルコール性脂肪肝炎"),
        "other": ("others", "その他", "nbnc", "other", "不明", "unknown", "aih", "pbc"),
    },
    "bclc": {s: (f"stage {s.lower()}", f"bclc {s.lower()}", f"bclc-{s.lower()}", f"{s.lower()}期") for s in "ABCD"},
    "best_response": {
        "CR": ("complete response", "完全奏効", "著効", "cr"),
        "PR": ("partial response", "部分奏効", "pr"),
        "SD": ("stable disease", "安定", "不変", "sd"),
        "PD": ("progressive disease", "進行", "増悪", "pd"),
        "NE": ("not evaluable", "評価不能", "判定不能", "ne", "na"),
    },
    "response_criteria": {
        "mRECIST": ("modified recist", "mrecist", "m-recist"),
        "RECIST1.1": ("recist", "recist 1.1", "recist v1.1", "recist ver1.1", "recist1.1"),
    },
    "albi_grade": {g: (f"grade {g}", f"g{g}", f"albi {g}", f"malbi {g}") for g in ALBI_GRADES},
    "child_pugh_class": {c: (f"class {c.lower()}", f"cp-{c.lower()}", f"child {c.lower()}") for c in "ABC"},
    **dict.fromkeys(("mvi", "ehs", "pp_received", "pp_ici", "disease_control", "objective_response"), _BOOL_SYNONYMS),
    **dict.fromkeys(("os_event", "pfs_event", "pps_event"), _EVENT_AND_BOOL),
}  # fmt: skip
"""Value synonyms per canonical column: canonical value -> source spellings (compared by :func:`value_key`)."""

MAPPABLE_VALUE_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in COLUMNS if c.kind in ("category", "bool") and c.name in VALUE_SYNONYMS
)


def column_key(name: str) -> str:
    """Name normalised for matching: NFKC, case-folded, without spaces, punctuation or a unit in brackets."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[(\[（【].*?[)\]）】]", "", text) or text
    return re.sub(r"[\s_\-.:/・,'\"#]+", "", text)


def value_key(value: str) -> str:
    """Value normalised for matching: NFKC, case-folded, spaces removed, + / & ・ as '+'."""
    text = unicodedata.normalize("NFKC", value).casefold().strip()
    text = re.sub(r"\s*(\+|/|&|・|＋|,| and | with )\s*", "+", text)
    return re.sub(r"[\s_]+", "", text) if text not in ("-", "+") else text


NOT_NEEDED_KEYS: dict[str, str] = {column_key(k): v for k, v in NOT_NEEDED_COLUMNS.items()}
COLUMN_KEYS: dict[str, str] = {}
for _canonical, _names in COLUMN_SYNONYMS.items():
    for _name in (_canonical, *_names):
        COLUMN_KEYS.setdefault(column_key(_name), _canonical)
