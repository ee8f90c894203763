"""Fixtures whose bytes matter (BOMs, UTF-16, cp1252), written by code so their content stays readable here.

`python tests/data/binary_fixtures.py` rewrites them under tests/data/fixtures/; a test checks that the
committed files are what this script writes.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

GOOGLE_ADS = """\
Ad performance report
May 1, 2024 - May 2, 2024
Day\tCampaign\tAd group\tAd ID\tCampaign ID\tAd group ID\tCurrency code\tCost\tImpr.\tCTR\tClicks\tConversions\tConv. value
2024-05-01\tBrand search\tExact brand\t678901234567\t12345678901\t23456789012\tEUR\t1,234.56\t12,345\t3.20%\t395\t21.00\t2,100.50
2024-05-01\tBrand search\tExact brand\t678901234568\t12345678901\t23456789012\tEUR\t310.00\t9,870\t1.50%\t148\t0.00\t--
2024-05-02\tBrand search\tExact brand\t678901234567\t12345678901\t23456789012\tEUR\t1,198.40\t11,902\t3.31%\t394\t19.50\t1,950.00
2024-05-02\tBrand search\tExact brand\t678901234568\t12345678901\t23456789012\tEUR\t298.10\t9,544\t1.49%\t142\t1.00\t95.00
Total: Account\t--\t--\t--\t--\t--\t--\t3,041.06\t43,661\t2.46%\t1,079\t41.50\t4,145.50
Total: Search\t--\t--\t--\t--\t--\t--\t3,041.06\t43,661\t2.46%\t1,079\t41.50\t4,145.50
"""

META_FR = """\
Jour;Nom de la campagne;Nom de l’ensemble de publicités;Nom de la publicité;Identifiant de la campagne;Diffusion de la publicité;Montant dépensé (EUR);Impressions;Clics sur un lien;Achats;Valeur de conversion des achats
2024-05-01;Soldes d’été;Femmes 25-34;Vidéo A;23851234567890123;active;12,50;1 520;41;2;89,90
2024-05-01;Soldes d’été;Femmes 25-34;Vidéo B;23851234567890123;active;10;1\u00a0210;33;1;45
2024-05-02;Soldes d’été;Femmes 25-34;Vidéo A;23851234567890123;inactive;13,75;1 602;44;3;134,85
"""

OUR_FORMAT_CP1252 = """\
date,campaign,segment,creative,spend,visits,conversions,revenue
2024-05-01,été,brand,ad-a,100.5,200,10,500.0
2024-05-02,été,brand,ad-a,90,210,12,600
"""


def contents() -> dict[str, bytes]:
    """File name -> bytes of every binary fixture."""
    return {
        "google_ads_utf16.tsv": b"\xff\xfe" + GOOGLE_ADS.encode("utf-16-le"),  # as Google writes it: LE with BOM
        "meta_fr_semicolon_bom.csv": META_FR.replace("\n", "\r\n").encode("utf-8-sig"),
        "our_format_cp1252.csv": OUR_FORMAT_CP1252.encode("cp1252"),
    }


if __name__ == "__main__":
    for name, data in contents().items():
        (FIXTURES / name).write_bytes(data)
