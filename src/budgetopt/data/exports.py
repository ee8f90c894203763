"""Ad-platform export layouts: which header means which log column, in each language.

A header is matched by its key (case, accents, spacing and apostrophe forms ignored; a trailing
currency such as "(EUR)" is split off and kept as the log's currency). A file's layout is the table
that knows most of its headers (our own format wins when it has every required column); each log
column takes the header its layout prefers (Meta "Purchases" before "Results"), then any other
export table's, so a Meta file with "Ad ID" but no "Ad name" still has creatives (our own format
takes only our own names, so it reads as it always did).
Meta per-day exports give "Reporting starts" and "Reporting ends"; `date_end` carries the latter
so the reader can refuse rows that cover more than one day.
"""

from __future__ import annotations

import re
import unicodedata

from budgetopt.data.schema import ID_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from budgetopt.errors import InputError

BUDGETOPT = {c: (c,) for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *ID_COLUMNS)}

META = {
    "date": (
        "Day", "Jour", "Día", "Tag", "Dia", "Date",
        "Reporting starts", "Début des rapports", "Inicio del informe", "Berichtsbeginn", "Início dos relatórios",
    ),
    "date_end": ("Reporting ends", "Fin des rapports", "Fin del informe", "Berichtsende", "Término dos relatórios", "Fim dos relatórios"),
    "campaign": ("Campaign name", "Nom de la campagne", "Nombre de la campaña", "Kampagnenname", "Name der Kampagne", "Nome da campanha"),
    "segment": (
        "Ad set name", "Nom de l'ensemble de publicités", "Nombre del conjunto de anuncios", "Name der Anzeigengruppe",
        "Anzeigengruppenname", "Nome do conjunto de anúncios",
    ),
    "creative": ("Ad name", "Nom de la publicité", "Nombre del anuncio", "Anzeigenname", "Name der Anzeige", "Nome do anúncio"),
    "campaign_id": (
        "Campaign ID", "Identifiant de la campagne", "ID de la campagne", "Identificador de la campaña", "ID de la campaña",
        "Kampagnen-ID", "ID da campanha", "Identificação da campanha",
    ),
    "segment_id": (
        "Ad set ID", "Identifiant de l'ensemble de publicités", "ID de l'ensemble de publicités",
        "Identificador del conjunto de anuncios", "ID del conjunto de anuncios", "Anzeigengruppen-ID",
        "ID do conjunto de anúncios", "Identificação do conjunto de anúncios",
    ),
    "creative_id": (
        "Ad ID", "Identifiant de la publicité", "ID de la publicité", "Identificador del anuncio", "ID del anuncio",
        "Anzeigen-ID", "ID do anúncio", "Identificação do anúncio",
    ),
    "spend": ("Amount spent", "Montant dépensé", "Importe gastado", "Ausgegebener Betrag", "Valor usado", "Valor gasto"),
    "impressions": ("Impressions", "Impresiones", "Impressionen", "Impressões"),
    "visits": ("Link clicks", "Clics sur un lien", "Clics en el enlace", "Link-Klicks", "Cliques no link"),
    "conversions": (
        "Purchases", "Achats", "Compras", "Käufe",
        "Results", "Résultats", "Resultados", "Ergebnisse",
    ),
    "revenue": (
        "Purchases conversion value", "Purchase conversion value", "Valeur de conversion des achats",
        "Valor de conversión de compras", "Conversion-Wert für Käufe", "Valor de conversão de compras",
    ),
    "currency": ("Currency", "Devise", "Divisa", "Moneda", "Währung", "Moeda"),
}

GOOGLE_ADS = {
    "date": ("Day", "Jour", "Día", "Tag", "Dia", "Date"),
    "campaign": ("Campaign", "Campagne", "Campaña", "Kampagne", "Campanha"),
    "segment": ("Ad group", "Groupe d'annonces", "Grupo de anuncios", "Anzeigengruppe", "Grupo de anúncios"),
    "creative": ("Ad", "Annonce", "Anuncio", "Anzeige", "Anúncio", "Ad ID", "ID de l'annonce", "ID del anuncio", "Anzeigen-ID", "ID do anúncio"),
    "campaign_id": ("Campaign ID", "ID de campagne", "ID de la campaña", "Kampagnen-ID", "ID da campanha"),
    "segment_id": ("Ad group ID", "ID du groupe d'annonces", "ID del grupo de anuncios", "Anzeigengruppen-ID", "ID do grupo de anúncios"),
    "creative_id": ("Ad ID", "ID de l'annonce", "ID del anuncio", "Anzeigen-ID", "ID do anúncio"),
    "spend": ("Cost", "Coût", "Coste", "Costo", "Kosten", "Custo"),
    "impressions": ("Impr.", "Impressions", "Impresiones", "Impressionen", "Impressões"),
    "visits": ("Clicks", "Clics", "Klicks", "Cliques"),
    "conversions": ("Conversions", "Conversiones", "Conversões", "Conv."),
    "revenue": ("Conv. value", "Conversion value", "Valeur de conv.", "Valor de conv.", "Conv.-Wert", "Total conv. value"),
    "currency": ("Currency code", "Code de la devise", "Código de moneda", "Währungscode", "Código da moeda", "Currency"),
}

LAYOUTS = {"budgetopt": BUDGETOPT, "meta": META, "google-ads": GOOGLE_ADS}
_STARTS = META["date"][META["date"].index("Reporting starts"):]  # a date that opens a period, closed by date_end
FIELDS = (*REQUIRED_COLUMNS, "date_end", *OPTIONAL_COLUMNS, *ID_COLUMNS, "currency")

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_CURRENCY = re.compile(r"^(.*?)\s*\(([A-Z]{3})\)$")


def header_key(name: str) -> str:
    """A header as matched: no accents, one apostrophe form, case-folded, single spaces."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_APOSTROPHES).casefold()
    return " ".join(text.split())


def split_currency(name: str) -> tuple[str, str | None]:
    """("Amount spent", "EUR") for "Amount spent (EUR)"; (name, None) without a currency suffix."""
    found = _CURRENCY.match(str(name).strip())
    return (found.group(1), found.group(2)) if found else (str(name), None)


def lookup_key(name: str) -> str:
    """The key a header is looked up by: its currency suffix removed."""
    return header_key(split_currency(name)[0])


def is_period_start(name: str) -> bool:
    """Whether a date header opens a reporting period ("Reporting starts"), so rows may span several days."""
    return lookup_key(name) in {header_key(n) for n in _STARTS}


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, list[tuple[str, int]]]:
    """key -> [(field, rank)]: a header key may name several fields (Google's "Ad ID": creative and creative_id)."""
    index: dict[str, list[tuple[str, int]]] = {}
    for field, names in table.items():
        for rank, name in enumerate(names):
            index.setdefault(header_key(name), []).append((field, rank))
    return index


INDEXES = {layout: _index(table) for layout, table in LAYOUTS.items()}
KNOWN_KEYS = frozenset(key for index in INDEXES.values() for key in index)


def is_known_header(cell: str) -> bool:
    """Whether a cell is a header some layout knows (used to find the header line and separator)."""
    return lookup_key(cell) in KNOWN_KEYS


def detect_layout(header: tuple[str, ...]) -> str:
    """Our own format when it has every required column by name, else the layout knowing most headers."""
    keys = {lookup_key(h) for h in header}
    ours = {field for key in keys for field, _ in INDEXES["budgetopt"].get(key, ())}
    if set(REQUIRED_COLUMNS) <= ours:
        return "budgetopt"
    hits = {layout: sum(1 for key in keys if key in index) for layout, index in INDEXES.items()}
    return max(("budgetopt", "meta", "google-ads"), key=lambda layout: hits[layout])


def _candidates(keys: list[str], layout: str, field: str) -> list[tuple[int, int]]:
    """(rank, column) of every header naming `field` in `layout`'s table."""
    index = INDEXES[layout]
    return [(rank, column) for column, key in enumerate(keys) for f, rank in index.get(key, ()) if f == field]


def auto_columns(header: tuple[str, ...], layout: str, skip: frozenset[str], source: str) -> tuple[dict[str, int], list[str]]:
    """field -> column index for every field not in `skip` that a header names, and notes on the known
    headers left unused; two headers with the same key for one field are an InputError naming both."""
    keys = [lookup_key(h) for h in header]
    order = [layout] if layout == "budgetopt" else [layout, *(other for other in LAYOUTS if other != layout)]
    chosen: dict[str, int] = {}
    for field in FIELDS:
        if field in skip:
            continue
        for table in order:
            found = _candidates(keys, table, field)
            if not found:
                continue
            best = min(rank for rank, _ in found)
            columns = [column for rank, column in found if rank == best]
            if len(columns) > 1:
                a, b = columns[:2]
                raise InputError(
                    f"columns {header[a]!r} (column {a + 1}) and {header[b]!r} (column {b + 1}) both read as {field}; "
                    f"delete one, or name the right one in a --columns file ({field} = \"...\")",
                    source=source,
                )
            chosen[field] = columns[0]
            break
    used = set(chosen.values())
    notes = []
    for column, key in enumerate(keys):
        fields = [f for table in order for f, _ in INDEXES[table].get(key, ()) if f in chosen and f not in skip]
        if column not in used and fields:
            notes.append(f"ignored {header[column]!r} ({fields[0]} read from {header[chosen[fields[0]]]!r})")
    return chosen, notes
