"""Search benchmark: Whoosh index of a synthetic bilingual catalogue, SQLite FTS5 beside it,
and the PostgreSQL backend on the same catalogue.

    .venv/bin/python bench/search.py [--products 100000] [--folder /tmp/vm-search-bench] [--reuse]
    .venv/bin/python bench/search.py --postgresql postgresql+psycopg://postgres@127.0.0.1/vm_search

With --postgresql DATABASE_URL (a database of its own: its schema is dropped and made again),
the same catalogue is loaded there with the PostgreSQL backend chosen, and the report compares
both backends: the time to load the products with their search vectors (written in the load's
own transaction) against the Whoosh rebuild, the same 200 mixed queries, and recall on the
same 30 labelled queries. Add --reuse --keep-index to take the Whoosh figures of a past run
and the PostgreSQL database and load figures of a past run (queries are measured again).

Builds (or, with --reuse, keeps) a SQLite catalogue of --products public products from
bench/make_search_corpus.py plus 1,000 practice products, then reports:

- the whole rebuild (`products.search.rebuild()`): time, products indexed, index size on disk;
- latency p50/p95/p99 of 200 mixed queries (Chinese words, pinyin, English, two words, facet
  filters) through `products.search.search()` (page 1 of 24 with all four facets), and through
  the /search page (the same plus loading the products and rendering);
- the same queries on SQLite FTS5 with the trigram tokenizer over the same text: top 24 by bm25
  plus the total and the same four facet counts;
- recall of both on 30 labelled queries (which products should be found is known from how the
  corpus was generated), and precision of their first 10 results;
- the segmenter's start-up cost, in fresh processes, and a cProfile of where query time goes.

Prints Markdown for docs/benchmarks.md; writes the figures as JSON to FOLDER/results.json.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from make_search_corpus import Truth, make_corpus  # noqa: E402

PRACTICE_PRODUCTS = 1000

# --- The queries ---------------------------------------------------------------------------

CHINESE = [
    "酥梨",
    "苹果",
    "猕猴桃",
    "红枣",
    "核桃",
    "金针菇",
    "小米",
    "青稞",
    "红糖",
    "蜂蜜",
    "牦牛肉干",
    "剪纸",
    "藏香",
    "蜀绣",
    "花椒",
    "豆瓣酱",
    "梨",
    "枣",
    "茶",
    "砀山",
    "延安",
    "洛川",
    "义乌",
    "德格",
    "成都",
    "灵寿",
    "太行山",
    "礼盒装",
    "有机",
    "野生",
    "地理标志",
    "非遗",
    "梨膏",
    "黄桃罐头",
    "糌粑",
    "香菇",
    "木耳",
    "荞麦",
    "绿茶",
    "火腿",
    "辣椒酱",
    "牦牛",
    "酥油",
    "木杖",
    "甘孜",
    "蒲江",
    "郫县",
    "延川",
    "安塞",
    "宿州",
]
PINYIN = [
    "suli",
    "pingguo",
    "dangshan",
    "hetao",
    "xiaomi",
    "hongzao",
    "dssl",
    "lcpg",
    "yanan",
    "dege",
    "chengdu",
    "mihoutao",
    "jinzhengu",
    "qingke",
    "hongtang",
    "fengmi",
    "jianzhi",
    "zangxiang",
    "shuxiu",
    "huajiao",
    "dangshan suli",
    "luochuan pingguo",
    "yiwu hongtang",
    "dege maoniu",
    "yanchuan hongzao",
    "lingshou hetao",
    "pujiang mihoutao",
    "ysz",
    "mnrg",
    "lgz",
    "ds",
    "lc",
    "hetao lingshou",
    "douban",
    "lajiao",
    "xianggu",
    "muer",
    "qiaomai",
    "lvcha",
    "huotui",
]
ENGLISH = [
    "pears",
    "pear",
    "apples",
    "apple",
    "walnut",
    "walnuts",
    "honey",
    "yak jerky",
    "millet",
    "brown sugar",
    "enoki",
    "mushrooms",
    "kiwifruit",
    "jujubes",
    "paper-cut",
    "incense",
    "embroidery",
    "tea",
    "ham",
    "pepper",
    "barley",
    "tsampa",
    "buckwheat",
    "syrup",
    "peaches",
    "organic",
    "gift box",
    "Dangshan",
    "Yan'an",
    "Chengdu",
    "Dege",
    "Lingshou",
    "Yiwu",
    "heritage",
    "chilli sauce",
    "woodblock",
    "butter",
    "fungus",
    "shiitake",
    "selected",
]
TWO_WORDS = [
    "苹果 洛川",
    "有机 苹果",
    "砀山 酥梨",
    "红糖 义乌",
    "牦牛 德格",
    "核桃 太行山",
    "成都 蜀绣",
    "延川 红枣",
    "蜂蜜 延安",
    "金针菇 灵寿",
    "organic apples",
    "dangshan pears",
    "yak butter",
    "green tea",
    "cured ham",
    "sichuan pepper",
    "Luochuan apples",
    "Yiwu sugar",
    "Dege incense",
    "gift honey",
    "有机 honey",
    "砀山 pears",
    "pear 礼盒装",
    "dege 牦牛",
    "红枣 gift box",
    "野生 蜂蜜",
    "高山 绿茶",
    "手工 剪纸",
    "精选 核桃",
    "当季 猕猴桃",
    "新鲜 香菇",
    "古法 红糖",
    "特级 小米",
    "农家 火腿",
    "冷链 牦牛肉干",
    "free shipping pears",
    "walnut gift",
    "apple 5斤装",
    "kiwifruit chengdu",
    "paper-cut yanan",
]
FILTERED = [
    ("苹果", {"region": "yanan"}),
    ("pears", {"in_stock": True}),
    ("蜂蜜", {"price": "30-60"}),
    ("核桃", {"region": "lingshou", "in_stock": True}),
    ("suli", {"price": "30-60"}),
    ("有机", {"category": "fresh-fruit"}),
    ("礼盒装", {"price": "100-up"}),
    ("dege", {"category": "jerky-dairy"}),
    ("红枣", {"in_stock": True, "price": "under-30"}),
    ("tea", {"region": "chengdu"}),
    ("酥梨", {"region": "dangshan", "in_stock": True}),
    ("honey", {"region": "dege", "price": "60-100"}),
    ("剪纸", {"category": "crafts"}),
    ("yak", {"in_stock": True}),
    ("小米", {"region": "yanan", "price": "30-60"}),
    ("花椒", {"region": "chengdu", "in_stock": True}),
    ("mushrooms", {"category": "mushrooms-nuts"}),
    ("gift box", {"price": "100-up", "in_stock": True}),
    ("红糖", {"region": "yiwu"}),
    ("延安", {"category": "grains"}),
    ("成都", {"price": "under-30"}),
    ("德格", {"in_stock": True}),
    ("apples", {"sort": "price_asc"}),
    ("梨", {"sort": "newest"}),
    ("walnuts", {"sort": "price_desc"}),
    ("hetao", {"region": "lingshou"}),
    ("organic", {"price": "60-100"}),
    ("野生", {"in_stock": True}),
    ("dssl", {"in_stock": True}),
    ("茶", {"category": "dried-goods"}),
]


def mixed_queries() -> list[tuple[str, str, dict]]:
    """200 queries: 50 Chinese, 40 pinyin, 40 English, 40 two-word, 30 facet-filtered."""
    queries = [("chinese", q, {}) for q in CHINESE[:50]]
    queries += [("pinyin", q, {}) for q in PINYIN[:40]]
    queries += [("english", q, {}) for q in ENGLISH[:40]]
    queries += [("two words", q, {}) for q in TWO_WORDS[:40]]
    queries += [("filtered", q, filters) for q, filters in FILTERED[:30]]
    assert len(queries) == 200, len(queries)
    return queries


def _kind(*names):
    return lambda fact: fact.kind in names


LABELLED: list[tuple[str, object]] = [
    ("酥梨", _kind("酥梨")),
    ("苹果", _kind("苹果")),
    ("洛川苹果", lambda f: f.kind == "苹果" and f.place == "洛川"),
    ("苹果 洛川", lambda f: f.kind == "苹果" and f.place == "洛川"),
    ("砀山", lambda f: f.region == "dangshan"),
    ("dangshan", lambda f: f.region == "dangshan"),
    ("延安", lambda f: f.region == "yanan"),
    ("yanan", lambda f: f.region == "yanan"),
    ("dssl", lambda f: f.kind == "酥梨" and f.place == "砀山"),
    ("suli", _kind("酥梨")),
    ("dangshan suli", lambda f: f.kind == "酥梨" and f.region == "dangshan"),
    ("pear", _kind("酥梨", "梨膏")),
    ("walnut", _kind("核桃")),
    ("yak jerky", _kind("牦牛肉干")),
    ("牦牛", _kind("牦牛肉干", "牦牛酥油")),
    ("红枣", _kind("红枣")),
    ("枣", _kind("红枣", "南枣")),
    ("小米", _kind("小米")),
    ("honey", _kind("蜂蜜")),
    ("brown sugar", _kind("红糖")),
    ("非遗", _kind("剪纸", "木杖", "藏香", "蜀绣", "木刻印画")),
    ("heritage", _kind("剪纸", "木杖", "藏香", "蜀绣", "木刻印画")),
    ("剪纸", _kind("剪纸")),
    ("hetao", _kind("核桃")),
    ("mihoutao", _kind("猕猴桃")),
    ("Sichuan pepper", _kind("花椒")),
    ("豆瓣酱", _kind("豆瓣酱")),
    ("organic apples", lambda f: f.kind == "苹果" and f.quality == "有机"),
    ("有机 苹果", lambda f: f.kind == "苹果" and f.quality == "有机"),
    ("成都 蜀绣", lambda f: f.kind == "蜀绣" and f.region == "chengdu"),
]


# --- Helpers -------------------------------------------------------------------------------


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    return {
        "p50": round(at(0.50), 1),
        "p95": round(at(0.95), 1),
        "p99": round(at(0.99), 1),
        "max": round(ordered[-1], 1),
    }


def folder_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def search_query(text: str, filters: dict, per_page: int = 24):
    from products.search import SearchQuery

    return SearchQuery(
        text=text,
        region=filters.get("region"),
        category=filters.get("category"),
        price=filters.get("price"),
        in_stock=bool(filters.get("in_stock")),
        sort=filters.get("sort", "relevance"),
        per_page=per_page,
    )


# --- SQLite FTS5 reference -----------------------------------------------------------------

BANDS_SQL = (
    "CASE WHEN price < 3000 THEN 'under-30' WHEN price < 6000 THEN '30-60' "
    "WHEN price < 10000 THEN '60-100' ELSE '100-up' END"
)


def build_fts(database: Path, target: Path) -> float:
    """An FTS5 trigram table over the same text the Whoosh index holds; returns seconds."""
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    connection = sqlite3.connect(target)
    connection.execute(f"ATTACH DATABASE '{database}' AS app")
    connection.executescript(
        """
        CREATE VIRTUAL TABLE docs USING fts5(title, tags, place, body, tokenize='trigram');
        CREATE TABLE meta (id INTEGER PRIMARY KEY, region TEXT, category TEXT, price INTEGER,
                           in_stock INTEGER, created TEXT);
        CREATE TEMP VIEW public_products AS
          SELECT p.* FROM app.product p JOIN app.shop s ON s.id = p.shop_id
          WHERE p.status = 'published' AND s.kind = 'exhibitor';
        INSERT INTO docs (rowid, title, tags, place, body)
          SELECT p.id, p.title_zh || ' ' || p.title_en,
                 replace(p.tags, ',', ' ') || ' ' || c.name_zh || ' ' || c.name_en,
                 r.name_zh || ' ' || r.name_en || ' ' || r.province_zh || ' ' || r.province_en
                   || ' ' || s.name_zh || ' ' || s.name_en,
                 p.description_zh || ' ' || p.description_en || ' ' ||
                   (SELECT group_concat(v.spec_zh || ' ' || v.spec_en, ' ')
                    FROM app.variant v WHERE v.product_id = p.id)
          FROM public_products p
          JOIN app.region r ON r.id = p.region_id
          JOIN app.shop s ON s.id = p.shop_id
          LEFT JOIN app.category c ON c.id = p.category_id;
        INSERT INTO meta (id, region, category, price, in_stock, created)
          SELECT p.id, r.slug, c.slug,
                 (SELECT min(price_fen) FROM app.variant v WHERE v.product_id = p.id),
                 (SELECT max(stock) > 0 FROM app.variant v WHERE v.product_id = p.id),
                 p.created_at
          FROM public_products p
          JOIN app.region r ON r.id = p.region_id
          LEFT JOIN app.category c ON c.id = p.category_id;
        """
    )
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def fts_match(text: str) -> str | None:
    """Each word as a quoted FTS5 string (all must match); None when nothing is left.

    The trigram tokenizer cannot match a word shorter than three characters: such words
    (most Chinese words are two) make the whole query find nothing, as FTS5 does.
    """
    words = [word for word in re.split(r"\s+", text.strip()) if word]
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def fts_search(connection, text: str, filters: dict) -> tuple[list[int], int, dict]:
    match = fts_match(text)
    if match is None:
        return [], 0, {}
    conditions, parameters = ["docs MATCH ?"], [match]
    for name in ("region", "category"):
        if filters.get(name):
            conditions.append(f"m.{name} = ?")
            parameters.append(filters[name])
    if filters.get("price"):
        conditions.append(f"{BANDS_SQL.replace('price', 'm.price')} = ?")
        parameters.append(filters["price"])
    if filters.get("in_stock"):
        conditions.append("m.in_stock = 1")
    where = " AND ".join(conditions)
    order = {
        "price_asc": "m.price ASC",
        "price_desc": "m.price DESC",
        "newest": "m.created DESC",
    }.get(filters.get("sort", ""), "rank")
    top = [
        row[0]
        for row in connection.execute(
            f"SELECT docs.rowid FROM docs JOIN meta m ON m.id = docs.rowid WHERE {where} "
            f"ORDER BY {order} LIMIT 24",
            parameters,
        )
    ]
    facets: dict[str, Counter] = {
        name: Counter() for name in ("region", "category", "price", "stock")
    }
    total = 0
    for region, category, band, in_stock in connection.execute(
        f"SELECT m.region, m.category, {BANDS_SQL.replace('price', 'm.price')}, m.in_stock "
        f"FROM docs JOIN meta m ON m.id = docs.rowid WHERE {where}",
        parameters,
    ):
        total += 1
        facets["region"][region] += 1
        facets["category"][category] += 1
        facets["price"][band] += 1
        facets["stock"][in_stock] += 1
    return top, total, facets


def fts_all(connection, text: str) -> list[int]:
    match = fts_match(text)
    if match is None:
        return []
    return [
        row[0]
        for row in connection.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank", [match]
        )
    ]


# --- Start-up cost -------------------------------------------------------------------------

STARTUP_SNIPPETS = {
    "import rjieba": "import time; t = time.perf_counter(); import rjieba; "
    "print(time.perf_counter() - t)",
    "first rjieba.tokenize after import": "import rjieba, time; t = time.perf_counter(); "
    "rjieba.tokenize('砀山酥梨 Dangshan crisp pears', mode='search'); "
    "print(time.perf_counter() - t)",
    "import products.search (rjieba, pypinyin, whoosh, market words)": "import time; "
    "t = time.perf_counter(); import products.search; print(time.perf_counter() - t)",
}


def startup_costs(folder: Path, runs: int = 5) -> dict[str, float]:
    """Median seconds of each start-up step in fresh processes."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "INSTANCE_PATH": str(folder)}
    results = {}
    for label, snippet in STARTUP_SNIPPETS.items():
        samples = [
            float(
                subprocess.run(
                    [sys.executable, "-c", snippet],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=environment,
                    cwd=ROOT,
                ).stdout.split()[-1]
            )
            for _ in range(runs)
        ]
        results[label] = statistics.median(samples)
    # A worker's life: create_app (which warms the segmenter), then a visitor's first two searches.
    worker = (
        "import time, json; t = time.perf_counter(); from shop import create_app; "
        "app = create_app(); started = time.perf_counter() - t; c = app.test_client(); "
        "t = time.perf_counter(); c.get('/search?q=%E9%85%A5%E6%A2%A8'); first = time.perf_counter() - t; "
        "t = time.perf_counter(); c.get('/search?q=%E8%8B%B9%E6%9E%9C'); second = time.perf_counter() - t; "
        "print(json.dumps([started, app.extensions['search_warm_up_seconds'], first, second]))"
    )
    samples = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", worker],
                capture_output=True,
                text=True,
                check=True,
                env=environment,
                cwd=ROOT,
            ).stdout.splitlines()[-1]
        )
        for _ in range(runs)
    ]
    results["worker start: import + create_app (includes the warm-up)"] = statistics.median(
        sample[0] for sample in samples
    )
    results["of which the warm-up tokenize + pinyin in init_app"] = statistics.median(
        sample[1] for sample in samples
    )
    results["first /search request of the worker"] = statistics.median(s[2] for s in samples)
    results["second /search request of the worker"] = statistics.median(s[3] for s in samples)
    return results


# --- The run -------------------------------------------------------------------------------


def _time_pages_and_browsing(app, search, queries, figures: dict) -> list[float]:
    """The /search page for each query, and browsing everything six times (the first run is
    returned apart from the median)."""
    client = app.test_client()
    page_samples = []
    for _, text, filters in queries:
        parameters = {"q": text, **{k: ("1" if v is True else v) for k, v in filters.items()}}
        started = time.perf_counter()
        response = client.get("/search", query_string=parameters)
        page_samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (text, response.status_code)
    figures["page_ms"] = percentiles(page_samples)
    browse = []
    for _ in range(6):
        started = time.perf_counter()
        search.search(search_query("", {}))
        browse.append((time.perf_counter() - started) * 1000)
    figures["browse_everything_ms"] = round(statistics.median(browse[1:]), 1)
    return browse


def run(count: int, folder: Path, reuse: bool, keep_index: bool, profile_lines: int) -> dict:
    os.environ["INSTANCE_PATH"] = str(folder)
    if not reuse and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from flask import json as flask_json  # noqa: F401  (Flask before the app, as wsgi does)

    from products import search
    from shop import create_app
    from shop.extensions import db

    app = create_app({"INSTANCE_PATH": str(folder)})
    figures: dict = {"products": count, "load_average_start": os.getloadavg()}
    truth_file = folder / "truth.json"
    with app.app_context():
        db.create_all()
        if not truth_file.exists():
            started = time.perf_counter()
            truth = make_corpus(count, practice=PRACTICE_PRODUCTS)
            figures["corpus_seconds"] = round(time.perf_counter() - started, 1)
            truth_file.write_text(
                json.dumps(
                    {str(k): [v.kind, v.region, v.place, v.quality] for k, v in truth.items()}
                )
            )
        truth = {int(k): Truth(*v) for k, v in json.loads(truth_file.read_text()).items()}
        figures["public_products"] = len(truth)

        if keep_index and search.index_problem() is None:
            previous = json.loads((folder / "results.json").read_text())
            for key in ("rebuild_seconds", "rebuild_cpu_seconds", "rebuild_load_average"):
                figures[key] = previous.get(key, 0.0)
            figures["indexed"] = search.search(search_query("", {}, per_page=1)).total
        else:
            print(f"Rebuilding the index of {len(truth)} public products…", file=sys.stderr)
            started, cpu = time.perf_counter(), time.process_time()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            indexed = search.rebuild()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            figures["rebuild_seconds"] = round(time.perf_counter() - started, 1)
            figures["rebuild_cpu_seconds"] = round(
                time.process_time()
                - cpu
                + after.ru_utime
                - children.ru_utime
                + after.ru_stime
                - children.ru_stime,
                1,
            )
            figures["rebuild_load_average"] = os.getloadavg()[0]
            figures["indexed"] = indexed
        live = Path(os.path.realpath(app.config["SEARCH_INDEX_PATH"]))
        figures["index_bytes"] = folder_size(live)
        figures["database_bytes"] = (folder / "village-market.db").stat().st_size

        queries = mixed_queries()
        for _, text, filters in queries:  # warm the OS cache and the searcher
            search.search(search_query(text, filters))
        by_kind: dict[str, list[float]] = {}
        samples = []
        totals = {}
        for kind, text, filters in queries:
            started = time.perf_counter()
            result = search.search(search_query(text, filters))
            elapsed = (time.perf_counter() - started) * 1000
            samples.append(elapsed)
            by_kind.setdefault(kind, []).append(elapsed)
            totals[(text, json.dumps(filters, sort_keys=True))] = result.total
        figures["whoosh_ms"] = percentiles(samples)
        figures["whoosh_ms_by_kind"] = {kind: percentiles(v) for kind, v in by_kind.items()}
        figures["whoosh_zero_result_queries"] = sum(1 for total in totals.values() if total == 0)

        browse = _time_pages_and_browsing(app, search, queries, figures)
        # The first one also reads what stays for the index generation (every live document).
        figures["browse_everything_first_ms"] = round(browse[0], 1)

        profiler = cProfile.Profile()
        profiler.enable()
        for _, text, filters in queries:
            search.search(search_query(text, filters))
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(profile_lines)
        figures["query_profile"] = stream.getvalue()

        # Recall on the labelled queries (every result counts, not only the first page).
        recall_rows = []
        connection = None
        fts_file = folder / "fts.db"
        figures["fts_build_seconds"] = round(build_fts(folder / "village-market.db", fts_file), 1)
        figures["fts_bytes"] = fts_file.stat().st_size
        connection = sqlite3.connect(fts_file)
        fts_samples = []
        for _, text, filters in queries:  # warm
            fts_search(connection, text, filters)
        fts_by_kind: dict[str, list[float]] = {}
        fts_zero = 0
        for kind, text, filters in queries:
            started = time.perf_counter()
            _, total, _ = fts_search(connection, text, filters)
            elapsed = (time.perf_counter() - started) * 1000
            fts_samples.append(elapsed)
            fts_by_kind.setdefault(kind, []).append(elapsed)
            fts_zero += total == 0
        figures["fts_ms"] = percentiles(fts_samples)
        figures["fts_ms_by_kind"] = {kind: percentiles(v) for kind, v in fts_by_kind.items()}
        figures["fts_zero_result_queries"] = fts_zero

        for text, relevant_if in LABELLED:
            relevant = {pid for pid, fact in truth.items() if relevant_if(fact)}
            whoosh_ids = search.search(search_query(text, {}, per_page=len(truth))).ids
            fts_ids = fts_all(connection, text)
            recall_rows.append(
                {
                    "query": text,
                    "relevant": len(relevant),
                    "whoosh_found": len(whoosh_ids),
                    "whoosh_recall": len(relevant & set(whoosh_ids)) / len(relevant),
                    "whoosh_precision_at_10": sum(i in relevant for i in whoosh_ids[:10])
                    / max(1, min(10, len(whoosh_ids))),
                    "fts_found": len(fts_ids),
                    "fts_recall": len(relevant & set(fts_ids)) / len(relevant),
                    "fts_precision_at_10": sum(i in relevant for i in fts_ids[:10])
                    / max(1, min(10, len(fts_ids))),
                }
            )
        connection.close()
        figures["recall"] = recall_rows
        figures["whoosh_mean_recall"] = statistics.mean(r["whoosh_recall"] for r in recall_rows)
        figures["fts_mean_recall"] = statistics.mean(r["fts_recall"] for r in recall_rows)
        figures["practice_found"] = sum(
            1
            for pid in search.search(search_query("学员练习店", {}, per_page=100)).ids
            if pid not in truth
        )
        db.session.remove()
        db.engine.dispose()

    figures["startup_seconds"] = startup_costs(folder)
    figures["load_average_end"] = os.getloadavg()
    (folder / "results.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return figures


def markdown(figures: dict) -> str:
    mb = 1024 * 1024
    lines = [
        f"- Catalogue: {figures['public_products']:,} public products (plus "
        f"{PRACTICE_PRODUCTS:,} practice ones, never indexed: {figures['practice_found']} found).",
        f"- Whole rebuild: {figures['rebuild_seconds']} s ({figures['rebuild_cpu_seconds']} s CPU "
        f"in all processes; load average {figures['rebuild_load_average']:.1f} at its end), "
        f"{figures['indexed']:,} products, index {figures['index_bytes'] / mb:.0f} MB on disk "
        f"(the SQLite database: {figures['database_bytes'] / mb:.0f} MB).",
        f"- FTS5 trigram table of the same text: built in {figures['fts_build_seconds']} s, "
        f"{figures['fts_bytes'] / mb:.0f} MB.",
        "",
        "| 200 mixed queries, ms | p50 | p95 | p99 | max | no result |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        "| Whoosh `search()` (page of 24 + 4 facets) | {p50} | {p95} | {p99} | {max} | {zero} |".format(
            **figures["whoosh_ms"], zero=figures["whoosh_zero_result_queries"]
        ),
        "| /search page (the above + products + HTML) | {p50} | {p95} | {p99} | {max} | |".format(
            **figures["page_ms"]
        ),
        "| SQLite FTS5 trigram (top 24 + 4 facets) | {p50} | {p95} | {p99} | {max} | {zero} |".format(
            **figures["fts_ms"], zero=figures["fts_zero_result_queries"]
        ),
        "",
        "| Whoosh p50 / p95 by kind of query, ms | p50 | p95 | FTS5 p50 | FTS5 p95 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, values in figures["whoosh_ms_by_kind"].items():
        fts = figures["fts_ms_by_kind"][kind]
        lines.append(
            f"| {kind} | {values['p50']} | {values['p95']} | {fts['p50']} | {fts['p95']} |"
        )
    lines += [
        "",
        f"Browsing everything (empty query, {figures['public_products']:,} matches, 4 facets): "
        f"{figures['browse_everything_ms']} ms (median of 5; the first after the index changed: "
        f"{figures['browse_everything_first_ms']} ms).",
        "",
        f"Recall on 30 labelled queries: Whoosh {figures['whoosh_mean_recall']:.2f}, "
        f"FTS5 trigram {figures['fts_mean_recall']:.2f} (mean).",
        "",
        "| query | relevant | Whoosh found | recall | P@10 | FTS5 found | recall | P@10 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in figures["recall"]:
        lines.append(
            f"| {row['query']} | {row['relevant']} | {row['whoosh_found']} | "
            f"{row['whoosh_recall']:.2f} | {row['whoosh_precision_at_10']:.1f} | "
            f"{row['fts_found']} | {row['fts_recall']:.2f} | {row['fts_precision_at_10']:.1f} |"
        )
    lines += ["", "| start-up step (fresh process, median of 5) | seconds |", "| --- | ---: |"]
    for label, seconds in figures["startup_seconds"].items():
        lines.append(f"| {label} | {seconds:.3f} |")
    lines.append(
        f"\nLoad average at start / end: {figures['load_average_start'][0]:.2f} / "
        f"{figures['load_average_end'][0]:.2f}."
    )
    return "\n".join(lines)


# --- The PostgreSQL backend on the same catalogue ---------------------------------------------


def _explain(session, search_module, text: str, filters: dict) -> str:
    """EXPLAIN ANALYZE of the statement one search runs (the last of its statements)."""
    from sqlalchemy import event

    statements = []

    def keep(_connection, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        search_module.search(search_query(text, filters))
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    statement, parameters = max(statements, key=lambda pair: len(pair[0]))
    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())


def _load_postgresql(count: int, figures: dict) -> dict:
    """A fresh schema, the catalogue loaded (its vectors written in the load's transaction),
    then every vector rewritten as `flask reindex` does; returns the truth."""
    from sqlalchemy import text as sql_text

    from products import search
    from shop.extensions import db

    db.session.execute(sql_text("DROP SCHEMA public CASCADE"))
    db.session.execute(sql_text("CREATE SCHEMA public"))
    db.session.commit()
    db.create_all()
    print(f"Loading {count} products into PostgreSQL…", file=sys.stderr)
    started, cpu = time.perf_counter(), time.process_time()
    truth = make_corpus(count, practice=PRACTICE_PRODUCTS)
    figures["load_seconds"] = round(time.perf_counter() - started, 1)
    figures["load_cpu_seconds"] = round(time.process_time() - cpu, 1)
    figures["load_load_average"] = os.getloadavg()[0]
    started = time.perf_counter()
    figures["rewritten"] = search.rebuild()
    figures["rewrite_seconds"] = round(time.perf_counter() - started, 1)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sql_text("VACUUM ANALYZE"))
    return truth


def run_postgresql(count: int, url: str, folder: Path, reuse: bool = False) -> dict:
    """Load the catalogue into PostgreSQL with its search vectors, then the same queries.

    With `reuse`, keep the database and the load figures of a past run (the truth is the
    Whoosh run's: the corpus is the same, numbered the same)."""
    from sqlalchemy import text as sql_text

    from products import search
    from products.search import postgresql_backend
    from shop import create_app
    from shop.extensions import db

    instance = folder / "postgresql-instance"
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": url})
    assert app.config["SEARCH_BACKEND"] == "postgresql"
    figures: dict = {"load_average_start": os.getloadavg()}
    past = folder / "results-postgresql.json"
    with app.app_context():
        if reuse and past.exists():
            previous = json.loads(past.read_text())
            for key in (
                "load_seconds",
                "load_cpu_seconds",
                "load_load_average",
                "rewritten",
                "rewrite_seconds",
            ):
                figures[key] = previous[key]
            truth = {
                int(k): Truth(*v)
                for k, v in json.loads((folder / "truth.json").read_text()).items()
            }
        else:
            truth = _load_postgresql(count, figures)
        figures["public_products"] = len(truth)
        figures["table_bytes"] = db.session.scalar(
            sql_text("SELECT pg_total_relation_size('product')")
        )
        figures["gin_bytes"] = db.session.scalar(
            sql_text("SELECT pg_relation_size('ix_product_search_document')")
        )
        figures["health"] = search.health()

        queries = mixed_queries()
        for _, text, filters in queries:  # warm the cache
            search.search(search_query(text, filters))
        by_kind: dict[str, list[float]] = {}
        samples, slowest = [], []
        zero = 0
        for kind, text, filters in queries:
            started = time.perf_counter()
            result = search.search(search_query(text, filters))
            elapsed = (time.perf_counter() - started) * 1000
            samples.append(elapsed)
            by_kind.setdefault(kind, []).append(elapsed)
            slowest.append((elapsed, text, filters))
            zero += result.total == 0
        figures["ms"] = percentiles(samples)
        figures["ms_by_kind"] = {kind: percentiles(v) for kind, v in by_kind.items()}
        figures["zero_result_queries"] = zero
        slowest.sort(key=lambda item: item[0], reverse=True)
        figures["slowest"] = [
            {"ms": round(ms, 1), "query": text, "filters": filters}
            for ms, text, filters in slowest[:5]
        ]
        figures["explain_slowest"] = _explain(db.session, search, slowest[0][1], slowest[0][2])

        _time_pages_and_browsing(app, search, queries, figures)

        prefixes = []
        for text in ("dangs", "pingg", "mihout", "lingsh"):
            started = time.perf_counter()
            total = search.search(search_query(text, {})).total
            prefixes.append(
                {
                    "query": text,
                    "found": total,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
            )
        figures["prefixes"] = prefixes

        postgresql_backend._vocabulary_cache = None
        started = time.perf_counter()
        first = search.suggest("peer")
        figures["vocabulary_first_suggest_ms"] = round((time.perf_counter() - started) * 1000, 1)
        suggest_samples = []
        for typo in ("peer", "wallnut", "dangsan", "hony", "mushroms"):
            started = time.perf_counter()
            search.search(search_query(typo, {}))
            suggest_samples.append((time.perf_counter() - started) * 1000)
        figures["suggestion"] = first
        figures["typo_search_ms"] = round(statistics.median(suggest_samples), 1)

        recall_rows = []
        for text, relevant_if in LABELLED:
            relevant = {pid for pid, fact in truth.items() if relevant_if(fact)}
            ids = search.search(search_query(text, {}, per_page=len(truth))).ids
            recall_rows.append(
                {
                    "query": text,
                    "relevant": len(relevant),
                    "found": len(ids),
                    "recall": len(relevant & set(ids)) / len(relevant),
                    "precision_at_10": sum(i in relevant for i in ids[:10])
                    / max(1, min(10, len(ids))),
                }
            )
        figures["recall"] = recall_rows
        figures["mean_recall"] = statistics.mean(r["recall"] for r in recall_rows)
        figures["practice_found"] = sum(
            1
            for pid in search.search(search_query("学员练习店", {}, per_page=100)).ids
            if pid not in truth
        )
        db.session.remove()
        db.engine.dispose()
    figures["load_average_end"] = os.getloadavg()
    (folder / "results-postgresql.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False)
    )
    return figures


def markdown_both(whoosh: dict, postgresql: dict) -> str:
    """The two backends side by side."""
    lines = [
        f"- Catalogue: {postgresql['public_products']:,} public products (plus "
        f"{PRACTICE_PRODUCTS:,} practice ones; found: Whoosh {whoosh['practice_found']}, "
        f"PostgreSQL {postgresql['practice_found']}).",
        f"- Whoosh: whole rebuild {whoosh['rebuild_seconds']} s (load average "
        f"{whoosh['rebuild_load_average']:.1f} at its end), index "
        f"{whoosh['index_bytes'] / 1048576:.0f} MB.",
        f"- PostgreSQL: loading the {postgresql['public_products'] + PRACTICE_PRODUCTS:,} "
        f"products with their search vectors (written in the load's transaction) "
        f"{postgresql['load_seconds']} s ({postgresql['load_cpu_seconds']} s CPU in Python; load "
        f"average {postgresql['load_load_average']:.1f} at its end); rewriting every vector "
        f"afterwards (`flask reindex`) {postgresql['rewrite_seconds']} s; product table with "
        f"its indexes {postgresql['table_bytes'] / 1048576:.0f} MB, of which the GIN index "
        f"{postgresql['gin_bytes'] / 1048576:.0f} MB.",
        "",
        "| 200 mixed queries, ms | p50 | p95 | p99 | max | no result |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        "| Whoosh `search()` | {p50} | {p95} | {p99} | {max} | {zero} |".format(
            **whoosh["whoosh_ms"], zero=whoosh["whoosh_zero_result_queries"]
        ),
        "| PostgreSQL `search()` | {p50} | {p95} | {p99} | {max} | {zero} |".format(
            **postgresql["ms"], zero=postgresql["zero_result_queries"]
        ),
        "| Whoosh /search page | {p50} | {p95} | {p99} | {max} | |".format(**whoosh["page_ms"]),
        "| PostgreSQL /search page | {p50} | {p95} | {p99} | {max} | |".format(
            **postgresql["page_ms"]
        ),
        "",
        "| by kind of query, ms | Whoosh p50 | Whoosh p95 | PostgreSQL p50 | PostgreSQL p95 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, values in whoosh["whoosh_ms_by_kind"].items():
        other = postgresql["ms_by_kind"][kind]
        lines.append(
            f"| {kind} | {values['p50']} | {values['p95']} | {other['p50']} | {other['p95']} |"
        )
    lines += [
        "",
        f"Browsing everything (empty query, 4 facets): Whoosh {whoosh['browse_everything_ms']} ms, "
        f"PostgreSQL {postgresql['browse_everything_ms']} ms (medians of 5).",
        "",
        "Pinyin prefixes (PostgreSQL only): "
        + ", ".join(
            f"{p['query']} {p['found']:,} found in {p['ms']} ms" for p in postgresql["prefixes"]
        )
        + ".",
        "",
        f"Did you mean (PostgreSQL): the first suggestion after the catalogue changed, which "
        f"builds the vocabulary, {postgresql['vocabulary_first_suggest_ms']} ms; a misspelt "
        f"search afterwards {postgresql['typo_search_ms']} ms (median of 5).",
        "",
        f"Recall on 30 labelled queries (mean): Whoosh {whoosh['whoosh_mean_recall']:.2f}, "
        f"PostgreSQL {postgresql['mean_recall']:.2f}.",
        "",
        "| query | relevant | Whoosh found | recall | P@10 | PostgreSQL found | recall | P@10 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mine, other in zip(whoosh["recall"], postgresql["recall"], strict=True):
        lines.append(
            f"| {mine['query']} | {mine['relevant']} | {mine['whoosh_found']} | "
            f"{mine['whoosh_recall']:.2f} | {mine['whoosh_precision_at_10']:.1f} | "
            f"{other['found']} | {other['recall']:.2f} | {other['precision_at_10']:.1f} |"
        )
    lines += [
        "",
        "Slowest PostgreSQL queries: "
        + "; ".join(
            f"{s['query']} {s['filters'] or ''} {s['ms']} ms" for s in postgresql["slowest"]
        )
        + ".",
        "",
        f"Load average at start / end: Whoosh run {whoosh['load_average_start'][0]:.2f} / "
        f"{whoosh['load_average_end'][0]:.2f}; PostgreSQL run "
        f"{postgresql['load_average_start'][0]:.2f} / {postgresql['load_average_end'][0]:.2f}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument(
        "--folder", type=Path, default=Path(tempfile.gettempdir()) / "vm-search-bench"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the catalogue of a past run")
    parser.add_argument(
        "--keep-index",
        action="store_true",
        help="with --reuse: keep a current index and the rebuild figures of the past run",
    )
    parser.add_argument("--profile-lines", type=int, default=25)
    parser.add_argument(
        "--postgresql",
        metavar="DATABASE_URL",
        help="also load the catalogue into this PostgreSQL database (dropped and made again) "
        "and compare the two backends",
    )
    arguments = parser.parse_args()
    if arguments.postgresql and arguments.reuse and arguments.keep_index:
        figures = json.loads((arguments.folder / "results.json").read_text())
    else:
        figures = run(
            arguments.products,
            arguments.folder,
            arguments.reuse,
            arguments.keep_index,
            arguments.profile_lines,
        )
    if arguments.postgresql:
        postgresql = run_postgresql(
            arguments.products, arguments.postgresql, arguments.folder, reuse=arguments.reuse
        )
        print(markdown_both(figures, postgresql))
        print("\nEXPLAIN ANALYZE of the slowest PostgreSQL query:\n")
        print(postgresql["explain_slowest"])
        return
    print(markdown(figures))
    print("\nWhere query time goes (cProfile, 200 queries, by own time):\n")
    print(figures["query_profile"])


if __name__ == "__main__":
    main()
