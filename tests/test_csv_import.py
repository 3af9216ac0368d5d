"""CSV export and import by SKU: dry run, every bad row reported by line, UTF-8 (BOM) and GB18030."""

import codecs
import csv
import io
import re

import pytest
from sqlalchemy import select

from products.models import Category, Product, Variant
from shop.extensions import db
from tests.helpers import csrf_token

HEADER = "product_id,sku,title_zh,title_en,category,spec_zh,spec_en,price,stock,weight_g\r\n"


@pytest.fixture
def seller(app, make_user, make_shop, make_product, login_as):
    """An exhibitor with two listings (SKUs PEAR-5 and PEAR-10 on one, JUJUBE-1 on the other)."""
    owner = make_user("exhibitor", language="en")
    shop = make_shop(owner=owner)
    # variants=1: the fixture gives each listing exactly the SKUs named above, the second pear
    # size included, so the tests know every row the spreadsheet holds.
    pears = make_product(
        shop=shop,
        title_zh="砀山酥梨",
        title_en="Crisp pears",
        price_fen=3990,
        stock=10,
        variants=1,
    )
    jujubes = make_product(
        shop=shop,
        title_zh="延川红枣",
        title_en="Red jujubes",
        price_fen=5800,
        stock=4,
        variants=1,
    )
    with app.app_context():
        db.session.add(Category(slug="fresh-fruit", name_zh="鲜果", name_en="Fresh fruit"))
        first = db.session.scalar(select(Variant).where(Variant.product_id == pears.id))
        first.sku, first.weight_g = "PEAR-5", 2600
        db.session.add(
            Variant(
                product_id=pears.id,
                sku="PEAR-10",
                spec_zh="十斤",
                price_fen=6900,
                stock=2,
                position=1,
            )
        )
        db.session.scalar(select(Variant).where(Variant.product_id == jujubes.id)).sku = "JUJUBE-1"
        db.session.commit()
    client = login_as(owner)
    client.pears, client.jujubes = pears.id, jujubes.id
    return client


def send(client, data: bytes, action="check"):
    page = client.get("/sell/products/import").get_data(as_text=True)
    return client.post(
        "/sell/products/import?lang=en",
        data={
            "csrf_token": csrf_token(page),
            "action": action,
            "file": (io.BytesIO(data), "products.csv"),
        },
    )


def variants(app):
    with app.app_context():
        return {
            variant.sku: (
                variant.product_id,
                variant.spec_zh,
                variant.price_fen,
                variant.stock,
                variant.weight_g,
            )
            for variant in db.session.scalars(select(Variant))
        }


def product_count(app):
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(Product))


def test_export_lists_every_own_variant_for_a_spreadsheet(seller, make_product):
    make_product(title_zh="别人的商品")
    response = seller.get("/sell/products/export.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(codecs.BOM_UTF8), "Excel needs the BOM to read UTF-8 Chinese"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["sku"] for row in rows] == ["PEAR-5", "PEAR-10", "JUJUBE-1"]
    assert (
        rows[0]["price"] == "39.90"
        and rows[0]["weight_g"] == "2600"
        and rows[0]["title_zh"] == "砀山酥梨"
    )
    assert "别人的商品" not in data.decode("utf-8-sig")


def test_a_good_file_changes_nothing_on_a_dry_run_and_everything_on_import(app, seller):
    exported = seller.get("/sell/products/export.csv").get_data().decode("utf-8-sig")
    edited = exported.replace(",39.90,10,", ",42.50,8,")
    edited += f"{seller.pears},PEAR-20,,,,二十斤,20 jin,120,1,10400\r\n"
    edited += ",NEW-1,灵寿金针菇,,fresh-fruit,一袋,,19.9,30,520\r\n"
    edited += ",NEW-2,灵寿金针菇,,,两袋,,35,10,1040\r\n"
    before = variants(app)
    check = send(seller, edited.encode("utf-8"))
    assert check.status_code == 200
    report = check.get_data(as_text=True)
    assert "The file is valid" in report
    assert "create 1 new listings, add 1 new variants and update 3 variants" in report
    assert variants(app) == before
    imported = send(seller, edited.encode("utf-8"), action="import")
    assert imported.status_code == 302
    after = variants(app)
    assert after["PEAR-5"][2:4] == (4250, 8)
    assert after["PEAR-20"] == (seller.pears, "二十斤", 12000, 1, 10400)
    assert after["NEW-1"][0] == after["NEW-2"][0], "rows with one new title make one listing"
    with app.app_context():
        new = db.session.get(Product, after["NEW-1"][0])
        assert (
            new.status == "draft"
            and new.title_zh == "灵寿金针菇"
            and new.category.slug == "fresh-fruit"
        )
        assert [v.sku for v in new.variants] == ["NEW-1", "NEW-2"]


def test_every_bad_row_is_reported_with_its_line_and_nothing_changes(app, seller, make_product):
    make_product()  # another shop; its SKU is SKU-<n>
    with app.app_context():
        other_sku = db.session.scalar(
            select(Variant.sku).where(Variant.sku.not_in(["PEAR-5", "PEAR-10", "JUJUBE-1"]))
        )
    lines = [
        HEADER,
        f"{seller.pears},PEAR-5,,,,,,45,3,\r\n",  # line 2: fine on its own
        f"{seller.pears},PEAR-10,,,,,,39.999,3,\r\n",  # line 3: three decimals
        f"{seller.pears},PEAR-5,,,,,,45,3,\r\n",  # line 4: SKU again
        ",NEW-1,新商品,,no-such-category,一箱,,10,1,\r\n",  # line 5: unknown category
        f",{other_sku},,,,,,10,1,\r\n",  # line 6: another shop's SKU
        "999999,NEW-2,,,,一箱,,10,1,\r\n",  # line 7: not our listing
        ",NEW-3,,,,一箱,,10,-4,\r\n",  # line 8: negative stock and no title
        ",,新商品,,,一箱,,10,1,\r\n",  # line 9: no SKU
    ]
    before, count = variants(app), product_count(app)
    for action in ("check", "import"):
        response = send(seller, "".join(lines).encode("utf-8"), action=action)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        reported = sorted({int(number) for number in re.findall(r"Line (\d+):", page)})
        assert reported == [3, 4, 5, 6, 7, 8, 9]
        assert "Line 3: The price 39.999" in page
        assert "Line 4: The SKU PEAR-5 is also on line 2" in page
        assert "Line 5: There is no category called no-such-category" in page
        assert f"Line 6: The SKU {other_sku} is used by another shop" in page
        assert "Line 7: Your shop has no listing 999999" in page
        assert "Line 9: The SKU is missing" in page
        assert "Nothing was changed" in page
    assert variants(app) == before and product_count(app) == count


def test_a_gb18030_file_from_excel_loads(app, seller):
    text = HEADER + ",ENOKI-1,灵寿金针菇（鲜品）,,鲜果,一袋五百克,,19.9,30,520\r\n"
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really not UTF-8
    assert send(seller, data, action="import").status_code == 302
    with app.app_context():
        variant = db.session.scalar(select(Variant).where(Variant.sku == "ENOKI-1"))
        assert variant.spec_zh == "一袋五百克" and variant.product.title_zh == "灵寿金针菇（鲜品）"
        assert variant.product.category.slug == "fresh-fruit", "categories match by name too"


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8], ids=["utf-8", "utf-8-with-bom"])
def test_utf8_with_or_without_bom_loads(app, seller, bom):
    data = bom + (HEADER + f"{seller.jujubes},JUJUBE-1,,,,,,60,9,\r\n").encode("utf-8")
    assert send(seller, data, action="import").status_code == 302
    assert variants(app)["JUJUBE-1"][2:4] == (6000, 9)


def test_a_file_without_the_needed_columns_says_so_on_line_1(app, seller):
    response = send(seller, "名称,价格\r\n酥梨,39.9\r\n".encode())
    assert response.status_code == 422
    assert "Line 1:" in response.get_data(as_text=True) and "sku" in response.get_data(as_text=True)


def test_rows_of_one_listing_must_agree_on_its_title(app, seller):
    data = (
        HEADER
        + f"{seller.pears},PEAR-5,砀山酥梨A,,,,,45,3,\r\n"
        + f"{seller.pears},PEAR-10,砀山酥梨B,,,,,45,3,\r\n"
    ).encode()
    response = send(seller, data)
    assert "Line 3: This row gives the listing another title_zh than line 2" in response.get_data(
        as_text=True
    )


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused_and_come_back(app, seller):
    with app.app_context():
        db.session.get(Product, seller.pears).title_en = '=HYPERLINK("http://evil")'
        db.session.commit()
    exported = seller.get("/sell/products/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in exported
    assert send(seller, exported.encode(), action="import").status_code == 302
    with app.app_context():
        assert db.session.get(Product, seller.pears).title_en == '=HYPERLINK("http://evil")'


def test_an_empty_upload_asks_for_a_file(seller):
    page = seller.get("/sell/products/import").get_data(as_text=True)
    response = seller.post(
        "/sell/products/import?lang=en", data={"csrf_token": csrf_token(page), "action": "check"}
    )
    assert response.status_code == 422
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_importing_an_unchanged_export_keeps_every_listing_address(app, seller):
    with app.app_context():
        slugs = dict(db.session.execute(select(Product.id, Product.slug)).all())
    exported = seller.get("/sell/products/export.csv").get_data()
    assert send(seller, exported, action="import").status_code == 302
    with app.app_context():
        assert dict(db.session.execute(select(Product.id, Product.slug)).all()) == slugs
