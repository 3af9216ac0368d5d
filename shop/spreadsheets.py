"""CSV cells that Excel and WPS show as text and never run as formulas (CSV injection).

Buyers, sellers and visitors type the names, notes and titles our exports hold, so any cell
could start with "=". A leading apostrophe makes a spreadsheet show the text as it is.
"""

#: Spreadsheet programs run cells starting with these as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A value as a CSV cell a spreadsheet will not run as a formula; None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(cell: str) -> str:
    """What was written into a cell by `csv_cell`: the apostrophe it added comes off again."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
