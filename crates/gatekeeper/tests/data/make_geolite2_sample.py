#!/usr/bin/env python3
"""Writes geolite2-country-sample.mmdb: a tiny database in MaxMind's GeoLite2-Country schema.

The gatekeeper's geo tests read it to check the GeoLite2 record layout (``country.iso_code``,
falling back to ``registered_country.iso_code``) without shipping MaxMind's licensed data. The
networks are ones MaxMind's own test databases use; the records are made up for the tests.

Regenerate (output is byte-for-byte reproducible; commit the .mmdb):

    python3 -m venv /tmp/mmdb && /tmp/mmdb/bin/pip install 'mmdb-writer==0.2.7'
    /tmp/mmdb/bin/python crates/gatekeeper/tests/data/make_geolite2_sample.py
"""

import os

from mmdb_writer import MMDBWriter
from netaddr import IPSet

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "geolite2-country-sample.mmdb")


def country(iso, name):
    return {"geoname_id": 1, "iso_code": iso, "names": {"en": name}}


RECORDS = [
    # Both fields: `country` is used.
    ("81.2.69.0/24", {
        "continent": {"code": "EU", "geoname_id": 6255148, "names": {"en": "Europe"}},
        "country": country("GB", "United Kingdom"),
        "registered_country": country("GB", "United Kingdom"),
    }),
    # `country` differs from `registered_country`: `country` wins.
    ("67.43.156.0/24", {
        "country": country("BT", "Bhutan"),
        "registered_country": country("US", "United States"),
        "traits": {"is_anonymous_proxy": True},
    }),
    # Only `registered_country` (as for some anycast networks): it is the fallback.
    ("89.160.20.0/24", {"registered_country": country("SE", "Sweden")}),
    # An invalid `country.iso_code` is skipped in favour of `registered_country`.
    ("175.16.199.0/24", {"country": country("XXX", "Nowhere"), "registered_country": country("CN", "China")}),
    # No country at all: unknown.
    ("202.196.224.0/20", {"continent": {"code": "AS", "geoname_id": 6255147, "names": {"en": "Asia"}}}),
    # IPv6.
    ("2a02:ff80::/29", {"country": country("DE", "Germany"), "registered_country": country("DE", "Germany")}),
]


class FixedEpochWriter(MMDBWriter):
    """Writes a fixed build_epoch so the output is reproducible."""

    def _build_meta(self):
        meta = super()._build_meta()
        meta["build_epoch"] = 1767225600  # 2026-01-01T00:00:00Z
        return meta


def main():
    writer = FixedEpochWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoLite2-Country",
        languages=["en"],
        description="s3-gatekeeper test sample in the GeoLite2-Country schema (made-up records)",
    )
    for network, record in RECORDS:
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
