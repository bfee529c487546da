"""Loaders return clean data, and the builders reproduce the mirror's files from the originals."""
from __future__ import annotations

import csv
import gzip
import io
import tarfile

import pytest

from lecture_utils import data


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
