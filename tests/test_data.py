"""lecture_utils.data, the registry: its entries, `make data` (`python -m lecture_utils.data`) and the loaders."""
from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import lecture_utils as lu
from lecture_utils import data
from lecture_utils.data import DataError, DataFile, Source

from .test_fetching import GOOD, NOWHERE, spec_for, two_splits

MIRROR = Path(os.environ.get("LECTURE_DATA_MIRROR") or data.REPO_ROOT.parent / "shared" / "data")
if not MIRROR.is_absolute():
    MIRROR = data.REPO_ROOT / MIRROR


@pytest.fixture
def course_mirror(empty_cache, monkeypatch):
    """The course's real mirror (LECTURE_DATA_MIRROR, or ../shared/data) behind an empty cache."""
    if not (MIRROR / "russian_names.csv").is_file():
        pytest.skip(f"no course mirror at {MIRROR}: set LECTURE_DATA_MIRROR")
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(MIRROR))
    return empty_cache


def test_the_package_exports_the_registry_and_its_loaders():
    assert (lu.fetch, lu.load_text, lu.load_names, lu.load_imdb) == (
        data.fetch, data.load_text, data.load_names, data.load_imdb)
    assert lu.DataError is DataError and lu.data.REPO_ROOT == Path(data.__file__).resolve().parents[1]


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(DataError, match="known: .*karamazov_ru"):
        data.fetch("war_and_peace")


def test_fetch_takes_an_entry_too(empty_cache, monkeypatch, tmp_path):
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "poem.txt").write_bytes(GOOD)
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(tmp_path / "mirror"))
    assert data.fetch(spec_for(NOWHERE)) == empty_cache / "poem.txt"


def test_registry_matches_the_mirror_manifest():
    """Every file of the mirror's manifest (../shared/data/SOURCES.md) is registered with the checksum it lists."""
    manifest = data.REPO_ROOT.parent / "shared" / "data" / "SOURCES.md"
    if not manifest.exists():
        pytest.skip("no ../shared/data beside the repository")
    text = manifest.read_text(encoding="utf-8")
    for spec in data.REGISTRY.values():
        assert f"| {spec.filename} |" in text
        assert spec.sha256 in text, spec.name


# ------------------------------------------------------------------ make data


@pytest.fixture
def two_split_registry(monkeypatch, tmp_path):
    """A registry of two files built from one archive, like imdb_train and imdb_test."""
    server, specs = two_splits(tmp_path)
    monkeypatch.setattr(data, "REGISTRY", {spec.name: spec for spec in specs.values()})
    yield server
    server.close()


def test_make_data_downloads_an_archive_once_for_both_files(empty_cache, two_split_registry, capsys):
    assert data.main([]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ok")]  # and a progress bar
    assert printed == [f"ok  {empty_cache / 'reviews_train.csv.gz'}", f"ok  {empty_cache / 'reviews_test.csv.gz'}"]
    assert two_split_registry.hits == {"/archive.tar.gz": 1}
    assert gzip.decompress((empty_cache / "reviews_test.csv.gz").read_bytes()) == b"text\nDull\nFine\n"


def test_fetching_one_file_of_the_registry_builds_its_sibling(empty_cache, two_split_registry):
    data.fetch("reviews_test")
    data.fetch("reviews_train")
    assert two_split_registry.hits == {"/archive.tar.gz": 1}


def run_make_data(cache, *args, extra_env=None):
    """`python -m lecture_utils.data` offline: every HTTP(S) request goes to a refused port."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "lecture_data_mirror")}
    env.update(LECTURE_DATA_DIR=str(cache), http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               **(extra_env or {}))
    return subprocess.run([sys.executable, "-W", "error", "-m", "lecture_utils.data", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_make_data_offline_prints_the_message_alone(empty_cache):
    """Exit status 1 and the data layer's message alone: no traceback, and no warning about running
    a module the package imported (the package imports lecture_utils.data only on first use)."""
    result = run_make_data(empty_cache)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert result.stderr.startswith("Dataset '") and "How to get it:" in result.stderr
    assert result.stdout == ""


def test_make_data_from_a_relative_mirror(empty_cache, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    name = "tinyshakespeare"
    source = next((folder / data.REGISTRY[name].filename for folder in (MIRROR, data.REPO_ROOT / "data")
                   if (folder / data.REGISTRY[name].filename).exists()), None)
    if source is None:
        pytest.skip("neither the mirror nor data/ holds tinyshakespeare.txt: run `make data`")
    shutil.copyfile(source, mirror / source.name)
    result = run_make_data(empty_cache, name, extra_env={
        "LECTURE_DATA_MIRROR": os.path.relpath(mirror, data.REPO_ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ok  {empty_cache / source.name}\n" and result.stderr == ""


def test_the_makefile_and_the_console_script_run_the_registry():
    makefile = (data.REPO_ROOT / "Makefile").read_text()
    assert "\t$(TASKS) data\n" in makefile
    tasks = (data.REPO_ROOT / "tools" / "tasks.py").read_text()
    assert '"-m", "lecture_utils.data"' in tasks
    pyproject = (data.REPO_ROOT / "pyproject.toml").read_text()
    assert 'lecture-data = "lecture_utils.data:main"' in pyproject


def test_the_console_script_takes_names(empty_cache, monkeypatch, tmp_path, capsys):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "poem.txt").write_bytes(GOOD)
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(mirror))
    monkeypatch.setattr(data, "REGISTRY", {"poem": spec_for(NOWHERE),
                                           "other": DataFile("other", "other.txt", "0", "d", ())})
    monkeypatch.setattr(sys, "argv", ["lecture-data", "poem"])
    assert data.main() == 0  # the console script calls main() with no arguments
    assert capsys.readouterr().out == f"ok  {empty_cache / 'poem.txt'}\n"
    assert data.main(["nope"]) == 1
    assert "unknown dataset 'nope'; known: other, poem" in capsys.readouterr().err


# -------------------------------------------------------------------- loaders


def test_load_text_refuses_a_gzipped_table():
    """Reliability review D20: load_text('imdb_train') gave a raw UnicodeDecodeError (byte 0x8b)."""
    for split in ("train", "test"):
        with pytest.raises(ValueError, match=rf"imdb_{split} is a gzip-compressed table .*load_imdb\('{split}'\)"):
            data.load_text(f"imdb_{split}")


def flip_a_byte_keeping_mtime(path: Path, offset: int) -> None:
    stat = path.stat()
    damaged = bytearray(path.read_bytes())
    damaged[offset] ^= 0xFF
    path.write_bytes(bytes(damaged))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_rewrite_that_keeps_size_and_mtime_is_not_trusted(course_mirror):
    """Reliability review D14, its reproduction: the memo of verified files missed a same-size
    rewrite that put the mtime back, and load_names then failed with a raw UnicodeDecodeError."""
    path = data.fetch("russian_names")
    path = data.fetch("russian_names")
    flip_a_byte_keeping_mtime(path, 100)
    with pytest.raises(DataError, match="failed verification") as err:
        data.fetch("russian_names")
    assert "make data" in str(err.value)
    with pytest.raises(DataError, match="russian_names"):
        data.load_names()


def a_damaged_copy(tmp_path, name: str, offset: int) -> Path:
    """A copy of the mirror's file of ``name`` with one byte changed."""
    source = MIRROR / data.REGISTRY[name].filename
    if not source.is_file():
        pytest.skip(f"no course mirror at {MIRROR}: set LECTURE_DATA_MIRROR")
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    flip_a_byte_keeping_mtime(copy, offset)
    return copy


@pytest.mark.parametrize("load,name,offset", [
    (lambda: data.load_text("karamazov_ru"), "karamazov_ru", 1001),
    (data.load_names, "russian_names", 100),
    (lambda: data.load_imdb("test"), "imdb_test", 1000),
], ids=["load_text", "load_names", "load_imdb"])
def test_a_loader_that_cannot_decode_its_file_says_how_to_refresh_it(tmp_path, monkeypatch, load, name, offset):
    """A file changed after its check (in another process, or between the check and the read) reaches
    the loader: a DataError naming the file and the remedy, not a raw UnicodeDecodeError or zlib.error."""
    damaged = a_damaged_copy(tmp_path, name, offset)
    monkeypatch.setattr(data, "fetch", lambda spec: damaged)  # as if the check had passed
    with pytest.raises(DataError) as err:
        load()
    message = str(err.value)
    assert message.startswith(f"{name}: the cached file {damaged} cannot be read"), message
    assert "make data" in message


def test_a_table_with_other_columns_or_values_is_refused(tmp_path, monkeypatch):
    table = tmp_path / "names.csv"
    monkeypatch.setattr(data, "fetch", lambda spec: table)
    table.write_text("name;gender\nанна;f\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"has the columns \['name;gender'\], not \['name', 'gender'\]"):
        data.load_names()
    table.write_text("name,gender\nанна,x\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"values of 'gender' other than \['f', 'm'\]"):
        data.load_names()
    table.write_text("text,label\ngood,1\nbad,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"values of 'label' other than \[0, 1\]"):
        data.load_imdb("test")


def test_load_text_names_an_empty_corpus(tmp_path, monkeypatch):
    empty = tmp_path / "empty.txt"
    empty.write_text("\ufeff\n\n", encoding="utf-8")
    monkeypatch.setattr(data, "fetch", lambda spec: empty)
    with pytest.raises(DataError, match="tinyshakespeare: the corpus is empty"):
        data.load_text("tinyshakespeare")


def test_entries_are_the_mechanisms_types():
    assert all(isinstance(spec, DataFile) and all(isinstance(s, Source) for s in spec.sources)
               for spec in data.REGISTRY.values())


# --- loaders: clean data, and builders that reproduce the mirror's files (was test_loaders.py)


def test_karamazov_is_cleaned():
    text = data.load_text("karamazov_ru")
    assert text.startswith("Посвящается Анне Григорьевне Достоевской\n")
    assert text.endswith("и еще раз все мальчики подхватили его восклицание.\n")
    assert "Примечания" not in text[-5000:]
    assert "[1]" not in text and "[57]" not in text
    assert not any(line.startswith((" ", "\u00a0")) for line in text.split("\n"))


def test_bom_is_removed():
    text = data.load_text("anna_karenina_ru")
    assert not text.startswith("\ufeff")
    assert "Все счастливые семьи похожи друг на друга" in text[:100]


def test_imdb_markup_is_removed_by_its_registry_entry():
    raw = data.pd.read_csv(data.fetch("imdb_test"), keep_default_na=False).text
    assert raw.str.contains("<br />").sum() > 10_000  # the file keeps the site's markup ...
    clean = data.load_imdb("test").text
    assert not clean.str.contains("<br", regex=False).any()  # ... the loader removes it
    assert clean[0].startswith("Once again Mr. Costner has dragged out a movie")
    assert data.REGISTRY["imdb_test"].clean("a<br /><br />b <BR>c") == "a b c"


def test_names_and_imdb_shapes():
    names = data.load_names()
    assert list(names.columns) == ["name", "gender"]
    assert names.gender.value_counts().to_dict() == {"f": 938, "m": 731}
    imdb = data.load_imdb("test")
    assert imdb.shape == (25_000, 2) and imdb.label.value_counts().to_dict() == {0: 12_500, 1: 12_500}
    with pytest.raises(ValueError, match="split"):
        data.load_imdb("unsup")


def test_russian_names_builder_reproduces_the_file(tmp_path):
    """Rebuild the CSV from Title-case lists like the originals, with the entries the filter must drop."""
    rows = list(csv.DictReader(data.fetch("russian_names").open(encoding="utf-8")))
    female = [r["name"].capitalize() for r in rows if r["gender"] == "f"]
    male = [r["name"].capitalize() for r in rows if r["gender"] == "m"]
    male[3:3] = ["Абд аль-Узза", "Кутлуг-Буга"]  # dropped: not a single Cyrillic word
    sources = [tmp_path / "female.txt", tmp_path / "male.txt"]
    sources[0].write_text("\n".join(female) + "\n\n", encoding="utf-8")
    sources[1].write_text("\n".join(f"  {name}" for name in male) + "\n", encoding="utf-8")
    data._build_russian_names(sources, tmp_path / "names.csv")
    assert data.sha256_of(tmp_path / "names.csv") == data.REGISTRY["russian_names"].sha256


def test_imdb_builder_orders_and_labels_reviews(tmp_path):
    reviews = {"aclImdb/train/pos/10_9.txt": 'Great, "really" great', "aclImdb/train/pos/2_8.txt": "Good",
               "aclImdb/train/neg/0_1.txt": "Bad", "aclImdb/train/unsup/0_0.txt": "ignored",
               "aclImdb/test/neg/1_2.txt": "other split"}
    archive = tmp_path / "aclImdb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in reviews.items():
            payload = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    data._imdb_csv_builder("train")([archive], tmp_path / "train.csv.gz")
    content = gzip.decompress((tmp_path / "train.csv.gz").read_bytes()).decode("utf-8")
    assert content == 'text,label\nBad,0\nGood,1\n"Great, ""really"" great",1\n'
