"""Registry of the public data files dcsite reads, and the checks run before any file is used.

Each file is known by its path relative to the data directory (``--data-dir`` or the
``DCSITE_DATA`` environment variable, resolved by the caller, never by library code), its
SHA-256 checksum, the columns (or GraphML node attributes) the loaders need, and its public
source. A file is checked in this order: it exists, it has the required columns, its checksum
matches. Every problem is a :class:`~optimizer.errors.DataError` with a one-line message that
names the file and what to do.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.errors import DataError

MIRROR_README = "../shared/data/README.md"


@dataclass(frozen=True)
class DataFile:
    """One registered file of the public data mirror.

    Attributes:
        path: path relative to the data directory, with forward slashes.
        sha256: hex SHA-256 of the file's bytes as published in the mirror.
        columns: columns (tables), fields (vector layers) or node attributes (GraphML) that the
            loaders rely on; other columns may be present.
        fmt: how to read its header: ``parquet``, ``csv``, ``vector`` (GeoJSON, TopoJSON,
            GeoPackage, shapefile), ``graphml`` or ``raw`` (a companion file checked by checksum).
        source: where the file comes from, shown in error messages.
        layer: layer name inside a multi-layer vector file.
    """

    path: str
    sha256: str
    columns: tuple[str, ...]
    fmt: str
    source: str
    layer: str | None = None


_EIA = "EIA-930 hourly demand cleaned by Ruggles & Farnham (Sci. Data 2020)"
_ATLAS = "us-atlas 3.0.1 (Census cartographic boundaries)"
_IM3 = "PNNL IM3 data-center atlas / EIA-861 2018"
_REEDS = "PyPSA-USA ReEDS zoning (NREL ReEDS, NARIS 2024)"
_ZOO = "Internet Topology Zoo (Knight et al. 2011)"
_TOPOLOGIES = {
    "Abilene": "8cd694280d98b336bb9b51fc3b2129a514f1b1b1ac80f2022aca02a57ef1e371",
    "AttMpls": "c32c3aeb985ee1cf197e016c02bd7b9a271c5d951598733ad3ddc0c5ed63e394",
    "Bellsouth": "dab3e1be5b369701b0552e971a390c9ca1685602138db741b7b590c6ffc2e803",
    "Cogentco": "fca525c7484c1044feb09add79fec0861d4b234622e5d07b7d202470ad0a09ca",
    "Deltacom": "3fbfc57e17520fdd7f28b62a2a7c39f16a1e07f16a7192983d695253c2153465",
    "Digex": "17ffd57b0747dcb93276743c624a03dc90cec54f92779d2f1f1205da1ce08fd1",
    "Esnet": "c1ad7132fc9e35d171733ea152b00ed47a7a4a86d40f0f374a090487a2990255",
    "Integra": "698ff6f0f6f77bef9f8e379c8f7b1dc7fcacdb0f25a2b907d955f6a65fe262e1",
    "Intellifiber": "ef357e0701c56347799eee9bf72e44f0e5b845f4de492e6496378faf5337e097",
    "Internetmci": "d1fe4921feb5b2766d18657729896f0d4612fa4d1134c18065d4e1166aff95f6",
    "Ion": "ff91cc18a0c6ae487988835c27758b007750b8b4df581d16eefbbe9cd777af53",
    "Kdl": "f0ef1032bb89695c53dc7ff95cbbdb773eb1ca0a9f3b4396cd293bac1db961cf",
    "Sprint": "0aad2938a806575b9f4f6efea8278d54e0156131ba0a4a2bdf767644e65f4904",
    "Tw": "bb66471474cd9f2451f28377002b089dc45ea110eebeb6e5f55ebafd560ac511",
    "UsCarrier": "8fbb72f0ee93a08f062a8be1844c393e232ca4e59185254694651a026b2254ee",
    "Uunet": "1f5e024d8dc9f6d66ed62675d8e0007bb7c77c566a449d96b7d928f7b7d88a37",
    "Xspedius": "72dfe2dd02a41b854b144e30f306a3dab4e61a304d76396059b7a7a802748a1a",
}
BACKBONE_NETWORKS: tuple[str, ...] = tuple(_TOPOLOGIES)

BA_LOAD_WIDE = DataFile(
    "eia930/ba22_load_mw_wide_2016_2024.parquet",
    "34a85844ee74c6f30745ada22cf41d2868fab47f840e8b2cf0fece404379007f",
    ("datetime_utc", "AZPS", "BPAT", "CISO", "CPLE", "DUK", "ERCO", "FPC", "FPL", "ISNE",
     "MISO", "NYIS", "PACE", "PACW", "PGE", "PJM", "PSCO", "SC", "SCEG", "SOCO", "SRP", "SWPP",
     "TVA"),
    "parquet", _EIA,
)  # fmt: skip
BAS_ALL: tuple[str, ...] = (
    "AEC", "AECI", "AVA", "AZPS", "BANC", "BPAT", "CHPD", "CISO", "CPLE", "CPLW", "DOPD", "DUK",
    "EPE", "ERCO", "FMPP", "FPC", "FPL", "GCPD", "GVL", "HST", "IID", "IPCO", "ISNE", "JEA",
    "LDWP", "LGEE", "MISO", "NEVP", "NSB", "NWMT", "NYIS", "PACE", "PACW", "PGE", "PJM", "PNM",
    "PSCO", "PSEI", "SC", "SCEG", "SCL", "SOCO", "SPA", "SRP", "SWPP", "TAL", "TEC", "TEPC",
    "TIDC", "TPWR", "TVA", "WACM", "WALC", "WAUW",
)  # fmt: skip
"""The 54 lower-48 load BAs with a cleaned hourly demand series."""
BA_LOAD_WIDE_ALL = DataFile(
    "eia930/ba_load_mw_wide_2016_2024.parquet",
    "1dfe818ae485a958cc048e5e23d569715015088cee7336f438299f9736de974c",
    ("datetime_utc", *BAS_ALL), "parquet", _EIA,
)  # fmt: skip
BA_LOAD_FLAGS_ALL = DataFile(
    "eia930/ba_load_flags_wide_2016_2024.parquet",
    "ada68c7c50612de3b52f24fc2a3f8b56725b0fb53f1e723d4d14164cdcf0831d",
    ("datetime_utc", *BAS_ALL), "parquet", _EIA,
)  # fmt: skip
BA_LOAD_COVERAGE = DataFile(
    "eia930/ba_load_coverage_2016_2024.csv",
    "8419b0f91cc701417e5683ec7604e456e91081c2b25d6f50b76fb96563ad1587",
    ("ba", "name", "n_valid", "pct_valid", "valid_hours_by_year", "note", "has_polygon"),
    "csv", _EIA,
)  # fmt: skip
BA_LOAD_LONG = DataFile(
    "eia930/ba22_load_raw_and_cleaned_long_2016_2024.parquet",
    "f94d14e70afa4a635236950857ee0d213f489cee31aa579336114d7703e44282",
    ("datetime_utc", "ba", "raw_mw", "cleaned_mw", "category"),
    "parquet", _EIA,
)  # fmt: skip
METROS = DataFile(
    "census/cbsa_metros_pop2023.csv",
    "1ffa770f746b334587cdab6bb0209688deb77e47c4df97bd26989298ab0202a2",
    ("cbsa", "name", "type", "pop_2020", "pop_2023", "principal_city", "principal_state",
     "city_lat", "city_lon", "popw_lat", "popw_lon", "n_counties", "county_fips"),
    "csv", "US Census Bureau vintage 2023 estimates; GeoNames city points",
)  # fmt: skip
STATES = DataFile(
    "boundaries/us-atlas/states-10m.json",
    "d76b391ccfa8bff601d51e3e3da5d43a89fa46cd5caca72ce731b383be5596d0",
    ("id", "name"), "vector", _ATLAS, layer="states",
)  # fmt: skip
COUNTIES = DataFile(
    "boundaries/us-atlas/counties-10m.json",
    "145aaf5d1433352a6a1d8e86b5f149c7c653f9171baf14aaf75ee66575def1b0",
    ("id", "name"), "vector", _ATLAS, layer="counties",
)  # fmt: skip
NATION = DataFile(
    "boundaries/us-atlas/nation-10m.json",
    "8ca8af2285b3c25268850d49adbe15de186d388dd20340ccbac72f83e35b6fe8",
    ("id", "name"), "vector", _ATLAS, layer="nation",
)  # fmt: skip
BA_POLYGONS = DataFile(
    "grid/ba_polygons_eia861_2018.geojson",
    "cb051422df1aeeb3ebc07210de6b04d04ef7ff02fa46297a139147b2ca24fbca",
    ("BA_Short_Name", "BA_Long_Name", "n_counties"), "vector", _IM3,
)  # fmt: skip
COUNTY_BA = DataFile(
    "grid/county_primary_ba_eia861_2018.csv",
    "e62d76f23b96319595b503a3459ebf9efb75d9a29c131dac4ba77ef952ef2cc6",
    ("county_fips", "name", "BA_Short_Name", "share"), "csv", _IM3,
)  # fmt: skip
BA_POLYGONS_ALL = DataFile(
    "grid/ba_polygons_all_eia861_2018.geojson",
    "8b304ce03f75714290210344bc4211a71d0274c6c555782aa2e55dc8cdc56e26",
    ("BA_Short_Name", "BA_Long_Name", "n_counties", "in_load_file"), "vector", _IM3,
)  # fmt: skip
COUNTY_BA_ALL = DataFile(
    "grid/county_primary_ba_all_eia861_2018.csv",
    "e5c5b467a5efa3079f276260d23e5e0e5cdbf350331845f7847dd06255a42a06",
    ("county_fips", "name", "BA_Short_Name", "share", "rule"), "csv", _IM3,
)  # fmt: skip
BA_TIMEZONES_ALL = DataFile(
    "grid/ba_timezones_all.csv",
    "2c7a962e83f3c255ae1852c2b5f32e09df56ab03681ab025f048a27938a31de2",
    ("ba", "eia_time_zone", "std_utc_offset_h", "main_tz", "main_tz_std_utc_offset_h",
     "offset_differs"),
    "csv", "EIA BA acronym table (via Ruggles et al.) and GeoNames populations",
)  # fmt: skip
EIA_GENERATORS = DataFile(
    "grid/eia_generators_2022_pypsa_usa.csv.gz",
    "6d584b956c978402cc31218fd5beff1a20f88e803063b70337063181c3190428",
    ("plant_id_eia", "plant_name_eia", "generator_id", "state", "latitude", "longitude",
     "ba_code", "status", "operating_year", "tech_type", "capacity_mw"),
    "csv", "EIA-860 2022 generators, as in PyPSA-USA (public domain)",
)  # fmt: skip
BA_POINTS = DataFile(
    "grid/ba_points.csv",
    "70046af0626b9d9a5fd51b3f51c686e055d9980aa71bf7848462e912b59cfe6e",
    ("ba", "name", "lon", "lat"), "csv", "gridemissions (MIT)",
)  # fmt: skip
TRANSMISSION = DataFile(
    "grid/hifld_transmission_ge220kv.gpkg",
    "54c0858e0def95f61ed5f874c90fdf8a644998a436d20a97de3e21255b351ef8",
    ("VOLT_CLASS",), "vector", "HIFLD Electric Power Transmission Lines via PNNL IM3 atlas",
)  # fmt: skip
POWER_PLANTS = DataFile(
    "grid/wri_gppd_usa_2019.csv.gz",
    "0e474f083e909e7bcdc61a3a732e8636d87387584dd40289d53f3e020c9f427f",
    ("name", "gppd_idnr", "capacity_mw", "latitude", "longitude", "primary_fuel",
     "commissioning_year", "owner", "generation_gwh_2019"),
    "csv", "WRI Global Power Plant Database (EIA-860)",
)  # fmt: skip
REEDS_ZONES = DataFile(
    "grid/reeds/rb_and_ba_areas.shp",
    "494934078d0d82ef37ee41a8cc58569560ce8e12c5525878de8a29bf0e51bbe0",
    ("rb", "BA_Code"), "vector", _REEDS,
)  # fmt: skip
REEDS_ZONES_PARTS = tuple(
    DataFile(f"grid/reeds/rb_and_ba_areas.{ext}", sha, (), "raw", _REEDS)
    for ext, sha in (
        ("shx", "4ef8abbf3d127ed3278162b90c50a1e40b914562c0aa99dded31300d244019aa"),
        ("dbf", "493b874aec8dc27d6d96bd1c4c66a25da66b7a7cdf4e98e22de4ee040a62b89f"),
        ("prj", "f2e7fb14d55bdd8d6a3bc2c272a48729d8f9d0ad72936e20eae6a9a81c2fccd0"),
    )
)
REEDS_INTERFACES = DataFile(
    "grid/reeds/transmission_capacity_init_AC_ba_NARIS2024.csv",
    "c84d532e02bf9b09090cf96f3986de05e9af62bc2cdcddef34353b6b3d1ae049",
    ("interface", "r", "rr", "MW_f0", "MW_r0"), "csv", _REEDS,
)  # fmt: skip
REEDS_LINKS = DataFile(
    "grid/reeds/transmission_capacity_init_nonAC_ba.csv",
    "39f45920be86437b86fa41c7504cfb09ea34580b7b1abf038c97382655195878",
    ("r", "rr", "trtype", "MW"), "csv", _REEDS,
)  # fmt: skip
REEDS_MEMBERSHIP = DataFile(
    "grid/reeds/membership.csv",
    "6a75a9fd93f10171f72ad436273f2ad2f926730b041e6175199d7f0baf7d393c",
    ("ba", "nercr", "transreg", "st", "interconnect"), "csv", _REEDS,
)  # fmt: skip
QUEUE = DataFile(
    "queues/lbnl_queued_up_2024_subset.parquet",
    "c7e65d38781ad33a066282b74f9f5ac1e59d5cdcdbff2a858e1754cfd00d414d",
    ("q_id", "q_status", "q_date", "ia_date", "wd_date", "on_date", "region", "state",
     "county_1", "poi_name", "type_clean", "mw_total"),
    "parquet", "LBNL Queued Up 2024 (subset)",
)  # fmt: skip
DATACENTERS = DataFile(
    "datacenters/im3_datacenter_centroids.geojson",
    "b9aa809cdc3dfdb13b41b58ed2308e17830d6ca63adb75795a00f950b65b31b3",
    ("state_abb", "county", "operator", "name", "sqft", "type"), "vector",
    "PNNL IM3 Open Source Data Center Atlas (OpenStreetMap, ODbL)",
)  # fmt: skip
TOPOLOGIES = {
    name: DataFile(f"network/topologyzoo/{name}.graphml", sha, ("label", "Latitude", "Longitude"),
                   "graphml", _ZOO)
    for name, sha in _TOPOLOGIES.items()
}  # fmt: skip

REGISTRY: tuple[DataFile, ...] = (
    BA_LOAD_WIDE, BA_LOAD_LONG, METROS, STATES, COUNTIES, NATION, BA_POLYGONS, COUNTY_BA,
    BA_LOAD_WIDE_ALL, BA_LOAD_FLAGS_ALL, BA_LOAD_COVERAGE, BA_POLYGONS_ALL, COUNTY_BA_ALL,
    BA_TIMEZONES_ALL, EIA_GENERATORS, BA_POINTS, TRANSMISSION, POWER_PLANTS, REEDS_ZONES,
    *REEDS_ZONES_PARTS, REEDS_INTERFACES, REEDS_LINKS, REEDS_MEMBERSHIP, QUEUE, DATACENTERS,
    *TOPOLOGIES.values(),
)  # fmt: skip


def resolve_data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    """Return the data directory as a Path, or raise a DataError saying how to give one."""
    if data_dir is None or str(data_dir) == "":
        raise DataError(
            "no data directory given: pass --data-dir DIR or set DCSITE_DATA to the folder of "
            f"the public data mirror (see {MIRROR_README})"
        )
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DataError(
            f"data directory {path} does not exist: pass --data-dir DIR or set DCSITE_DATA to "
            f"the folder of the public data mirror (see {MIRROR_README})"
        )
    return path


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, memoised per (path, size, mtime) so a process hashes a file once."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


def read_columns(path: Path, entry: DataFile) -> list[str]:
    """Column names (or GraphML node attributes) of a file, reading only its header."""
    if entry.fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if entry.fmt == "csv":
        return list(pd.read_csv(path, nrows=0).columns)
    if entry.fmt == "vector":
        import pyogrio

        return list(pyogrio.read_info(path, layer=entry.layer)["fields"])
    if entry.fmt == "graphml":
        import xml.etree.ElementTree as ET

        keys = ET.parse(path).getroot().findall("{http://graphml.graphdrawing.org/xmlns}key")
        return [k.get("attr.name", "") for k in keys if k.get("for") == "node"]
    return []


def _unreadable(entry: DataFile, exc: Exception) -> DataError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DataError(
        f"{entry.path}: cannot be read ({reason}); restore it from {entry.source} "
        f"(see {MIRROR_README})"
    )


def check_file(data_dir: Path, entry: DataFile, verify_checksum: bool = True) -> Path:
    """Check one registered file and return its absolute path.

    Raises:
        DataError: the file is missing, unreadable, lacks a required column, or its checksum
            differs from the registry (in that order of checking).
    """
    path = data_dir / entry.path
    if not path.is_file():
        raise DataError(
            f"{entry.path}: missing from data directory {data_dir}; get it from {entry.source} "
            f"(see {MIRROR_README}) or point --data-dir / DCSITE_DATA at a complete copy"
        )
    if entry.columns:
        try:
            present = read_columns(path, entry)
        except Exception as exc:  # any reader failure means the file is not what we expect
            raise _unreadable(entry, exc) from None
        missing = [c for c in entry.columns if c not in present]
        if missing:
            raise DataError(
                f"{entry.path}: missing column(s) {', '.join(missing)}; this is not the "
                f"registered version of the file, restore it from {entry.source}"
            )
    if verify_checksum:
        try:
            actual = file_sha256(path)
        except OSError as exc:
            raise _unreadable(entry, exc) from None
        if actual != entry.sha256:
            raise DataError(
                f"{entry.path}: checksum mismatch (sha256 {actual[:12]}..., registered "
                f"{entry.sha256[:12]}...); the file is corrupt or another version, restore it "
                f"from {entry.source}"
            )
    return path


def check_all(data_dir: str | os.PathLike[str] | None) -> list[tuple[str, str]]:
    """Check every registered file; return (path, "OK" or the problem) for each, in order."""
    root = resolve_data_dir(data_dir)
    report = []
    for entry in REGISTRY:
        try:
            check_file(root, entry)
            report.append((entry.path, "OK"))
        except DataError as exc:
            report.append((entry.path, str(exc).removeprefix(f"{entry.path}: ")))
    return report
