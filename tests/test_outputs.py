"""budgetopt.outputs: no output can destroy an input, a device, another output or a file we did not
write; a failed run leaves every folder byte for byte as it was; numbers are written in full."""

from __future__ import annotations

import errno
import io
import json
import math
import os
import stat
import tempfile

import numpy as np
import pandas as pd
import pytest

from budgetopt.errors import BudgetoptError, OutputError
from budgetopt.outputs import (
    MANIFEST,
    OutputSet,
    check_outputs,
    claim_report_dir,
    clean_floats,
    csv_text,
    json_text,
    plain_number,
    round_money,
)

ROOT = os.geteuid() == 0
FRAME = pd.DataFrame({"campaign": ["a", "=cmd"], "spend": [1848300.0, 47911.449999]})


def snapshot(folder) -> dict[str, bytes | str]:
    """Every entry under `folder`: a file's bytes, a link's target, or 'dir'."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            key = os.path.relpath(path, folder)
            if os.path.islink(path):
                found[key] = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                found[key] = "dir"
            else:
                with open(path, "rb") as handle:
                    found[key] = handle.read()
    return found


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message
    return message


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- 1. an output is never an input


def test_plan_out_onto_the_ledger_is_refused_and_the_ledger_kept(here):
    (here / "ads.db").write_bytes(b"SQLite format 3\x00 ledger")
    before = snapshot(here)
    with pytest.raises(OutputError) as error:
        check_outputs({"--out": "ads.db"}, {"--ledger": "ads.db"})
    message = one_line(error)
    assert "--out ads.db" in message and "--ledger ads.db" in message and "choose another path" in message
    with pytest.raises(OutputError), OutputSet({"--ledger": "ads.db"}) as out:
        out.csv("--out", "ads.db", FRAME)
    assert snapshot(here) == before


@pytest.mark.parametrize("alias", ["./log.csv", "sub/../log.csv", "{here}/log.csv", "hardlink.csv", "symlink.csv"])
def test_every_spelling_of_the_input_is_refused(here, alias):
    """`plan log.csv --out log.csv` replaced the log: also through ./, .., an absolute path, a hard
    link and a symlink."""
    (here / "log.csv").write_text("date,spend\n")
    (here / "sub").mkdir()
    os.link(here / "log.csv", here / "hardlink.csv")
    os.symlink("log.csv", here / "symlink.csv")
    before = snapshot(here)
    with pytest.raises(OutputError, match="same file as the input LOG"):
        check_outputs([("--out", alias.format(here=here))], [("LOG", "log.csv")])
    with pytest.raises(OutputError, match="same file as the input LOG"), OutputSet([("LOG", here / "log.csv")]) as out:
        out.csv("--out", alias.format(here=here), FRAME)
    assert snapshot(here) == before


def test_summary_onto_the_policy_reached_through_a_symlinked_input_is_refused(here):
    (here / "policy.toml").write_text("[budget]\n")
    os.symlink("policy.toml", here / "current.toml")
    with pytest.raises(OutputError, match="--summary policy.toml.*--policy current.toml"):
        check_outputs({"--summary": "policy.toml", "--out": None}, {"--policy": "current.toml"})
    assert (here / "policy.toml").read_text() == "[budget]\n"


def test_a_new_ledger_path_is_protected_before_it_exists(here):
    with pytest.raises(OutputError, match="--ledger"):
        check_outputs({"--out": "./new.db"}, {"--ledger": "new.db"})
    assert snapshot(here) == {}


# ---------------------------------------------------------------- 2. two outputs at one path


@pytest.mark.parametrize("second", ["x", "./x", "link"])
def test_two_outputs_at_one_path_name_both_options(here, second):
    os.symlink("x", here / "link")
    with pytest.raises(OutputError) as error:
        check_outputs({"--out": "x", "--summary": second})
    assert "--out and --summary both name" in one_line(error)
    with pytest.raises(OutputError, match="--out and --summary"), OutputSet() as out:
        out.csv("--out", "x", FRAME)
        out.json("--summary", second, {"a": 1})
    assert snapshot(here) == {"link": "-> x"}


# ---------------------------------------------------------------- 3. only regular files; symlinks written through


def test_a_folder_is_refused(here):
    (here / "plan.csv").mkdir()
    with pytest.raises(OutputError, match="it is a folder, not a regular file"):
        check_outputs({"--out": "plan.csv"})


def test_a_fifo_is_refused_without_blocking(here):
    os.mkfifo(here / "pipe")
    with pytest.raises(OutputError, match="it is a FIFO"):
        check_outputs({"--out": "pipe"})
    with pytest.raises(OutputError, match="it is a FIFO"), OutputSet() as out:
        out.text("--out", "pipe", "x")
    assert stat.S_ISFIFO(os.lstat(here / "pipe").st_mode)


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full", "/dev/stdout"])
def test_a_symlink_to_a_device_is_refused(here, device):
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    os.symlink(device, here / "plan.csv")
    with pytest.raises(OutputError, match="(device or socket|FIFO), not a regular file|without a name of its own"):
        check_outputs({"--out": "plan.csv"})  # under pytest stdout is a deleted temporary file
    assert os.readlink(here / "plan.csv") == device


def test_a_copy_of_dev_full_is_refused_and_stays_a_device(here):
    try:
        os.mknod(here / "full", 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot make a device node here ({error})")
    with pytest.raises(OutputError, match="a device or socket, not a regular file"), OutputSet() as out:
        out.csv("--out", "full", FRAME)
    assert stat.S_ISCHR(os.lstat(here / "full").st_mode)
    assert sorted(os.listdir(here)) == ["full"]


def test_a_symlink_is_written_through_and_stays_a_link(here):
    (here / "real").mkdir()
    (here / "real" / "plan.csv").write_text("old\n")
    os.symlink("real/plan.csv", here / "plan.csv")
    os.symlink("real/dangling.json", here / "summary.json")
    with OutputSet() as out:
        out.text("--out", "plan.csv", "new\n")
        out.json("--summary", "summary.json", {"a": 1})
    assert os.readlink(here / "plan.csv") == "real/plan.csv"
    assert (here / "real" / "plan.csv").read_text() == "new\n"
    assert os.readlink(here / "summary.json") == "real/dangling.json"
    assert json.loads((here / "real" / "dangling.json").read_text()) == {"a": 1}
    assert sorted(os.listdir(here / "real")) == ["dangling.json", "plan.csv"]


@pytest.mark.parametrize("path", ["", "out/"])
def test_a_path_that_is_no_file_name_is_refused(here, path):
    with pytest.raises(OutputError, match="not a file name"):
        check_outputs({"--out": path})


# ---------------------------------------------------------------- 4. OS failures are one line


def test_disk_full_at_fsync_leaves_the_old_file_and_no_temp(here, monkeypatch):
    (here / "plan.csv").write_text("yesterday\n")
    before = snapshot(here)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError) as error, OutputSet() as out:
        out.csv("--out", "plan.csv", FRAME)
    message = one_line(error)
    assert message.startswith("cannot write --out plan.csv: the disk is full; free space on the disk holding ")
    assert str(here) in message
    assert snapshot(here) == before


@pytest.mark.parametrize("code, advice", [
    (errno.ENOSPC, "free space"), (errno.EDQUOT, "free space"), (errno.EIO, "check the path"),
    (errno.EFBIG, "check the path"),
])
def test_a_failing_write_becomes_one_line_and_removes_every_staged_file(here, code, advice):
    (here / "kept.csv").write_text("kept\n")
    before = snapshot(here)

    def write(handle):
        handle.write(b"half a plan")
        raise OSError(code, os.strerror(code))

    with pytest.raises(OutputError) as error, OutputSet() as out:
        out.text("--summary", "kept.csv", "new\n")
        out.add("--out", "new/deeper/plan.csv", write)
    message = one_line(error)
    assert "--out new/deeper/plan.csv" in message and advice in message
    assert snapshot(here) == before  # no temp, no half file, not even the folders made for it


@pytest.mark.skipif(ROOT, reason="root writes into read-only folders; see the monkeypatched twin")
def test_a_read_only_folder_is_refused_early(here):
    (here / "ro").mkdir(mode=0o555)
    try:
        with pytest.raises(OutputError, match="permission denied; choose a folder you can write to"):
            check_outputs({"--out": "ro/plan.csv"})
        with pytest.raises(OutputError, match="permission denied"), OutputSet() as out:
            out.csv("--out", "ro/plan.csv", FRAME)
        assert os.listdir(here / "ro") == []
    finally:
        (here / "ro").chmod(0o755)


@pytest.mark.parametrize("code, words", [
    (errno.EACCES, "permission denied; choose a folder you can write to"),
    (errno.EPERM, "permission denied"),
    (errno.EROFS, "the file system is read-only; choose a folder you can write to on a writable disk"),
])
def test_a_folder_we_cannot_write_is_refused_early_and_late(here, monkeypatch, code, words):
    """As root chmod does not stop writes, so the OS refusal is simulated where the files are made."""
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(OutputError) as error:
        check_outputs({"--out": "plan.csv"})
    assert words in one_line(error)
    with pytest.raises(OutputError, match=words), OutputSet() as out:
        out.csv("--out", "plan.csv", FRAME)
    assert snapshot(here) == {}


def test_a_name_too_long_is_refused_before_any_work(here):
    name = "p" * 300 + ".csv"
    with pytest.raises(OutputError) as error:
        check_outputs({"--out": name, "--summary": "s.json"})
    assert "choose a shorter name" in one_line(error)
    with pytest.raises(OutputError, match="choose a shorter name"):
        check_outputs({"--out": f"{'d' * 300}/plan.csv"})
    assert snapshot(here) == {}


def test_a_name_at_the_limit_is_written(here):
    name = "p" * 251 + ".csv"  # 255 bytes: longer than a temporary name may be
    with OutputSet() as out:
        out.text("--out", name, "ok\n")
    assert os.listdir(here) == [name]


def test_a_parent_that_is_a_file_is_refused(here):
    (here / "reports").write_text("a file")
    with pytest.raises(OutputError) as error:
        check_outputs({"--out": "reports/2024/plan.csv"})
    assert "reports is a file, not a folder; choose another path" in one_line(error)


def test_a_newline_in_a_path_keeps_the_message_on_one_line(here):
    (here / "a\nb").mkdir()
    with pytest.raises(OutputError) as error:
        check_outputs({"--out": "a\nb"})
    assert "'a\\nb'" in one_line(error)


def test_output_error_is_a_user_error():
    assert issubclass(OutputError, BudgetoptError)


# ---------------------------------------------------------------- 5. all or nothing


def test_check_outputs_writes_nothing_and_says_where_files_land(here):
    (here / "old.csv").write_text("old\n")
    before = snapshot(here)
    assert check_outputs({"--out": "new/plan.csv", "--summary": "old.csv"}) == [
        here / "new" / "plan.csv", here / "old.csv"]
    assert snapshot(here) == before


def test_a_run_writes_every_output_with_shared_permissions(here):
    (here / "summary.json").write_text("old\n")
    with OutputSet({"LOG": "log.csv"}) as out:
        out.csv("--out", "plans/plan.csv", FRAME, money=["spend"])
        out.json("--summary", "summary.json", {"spend": 0.1 + 0.2})
        out.bytes("--figure", "fig.png", b"\x89PNG")
    assert snapshot(here) == {
        "plans": "dir", "plans/plan.csv": b"campaign,spend\na,1848300.00\n'=cmd,47911.45\n",
        "summary.json": b'{\n  "spend": 0.3\n}\n', "fig.png": b"\x89PNG",
    }
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(here / "plans" / "plan.csv").st_mode) == 0o666 & ~mask


def test_an_error_during_the_run_writes_nothing(here):
    (here / "plan.csv").write_text("old\n")
    before = snapshot(here)
    with pytest.raises(RuntimeError, match="the plan failed"), OutputSet() as out:
        out.csv("--out", "plan.csv", FRAME)
        out.json("--summary", "new/summary.json", {})
        raise RuntimeError("the plan failed")
    assert snapshot(here) == before


def test_a_failed_output_stops_the_set(here):
    def buggy(handle):
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="end"), OutputSet() as out:
        out.text("--out", "a.csv", "a")
        try:
            out.add("--summary", "b.json", buggy)
        except RuntimeError:
            pass  # a caller that swallows the failure still gets nothing written
        with pytest.raises(OutputError, match="nothing was written, since --summary failed"):
            out.text("--figure", "c.png", "c")
        raise RuntimeError("end")
    assert snapshot(here) == {}
    with pytest.raises(OutputError, match="nothing was written"), OutputSet() as out:
        out.text("--out", "a.csv", "a")
        with pytest.raises(ValueError):
            out.add("--summary", "b.json", lambda handle: int("x"))
    assert snapshot(here) == {}


EIO = OSError(errno.EIO, os.strerror(errno.EIO))


@pytest.mark.parametrize("existed, failure", [(True, EIO), (False, EIO), (True, KeyboardInterrupt())])
def test_a_rename_failing_midway_puts_back_what_was_replaced(here, monkeypatch, existed, failure):
    """Also Ctrl-C between two renames: the first output is put back as it was."""
    if existed:
        (here / "a.csv").write_text("old a\n")
    (here / "b.csv").write_text("old b\n")
    before = snapshot(here)
    real_replace = os.replace

    def flaky(src, dst):
        if str(dst).endswith("b.csv") and str(src).endswith(".tmp"):
            raise failure
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OutputError if failure is EIO else KeyboardInterrupt) as error, OutputSet() as out:
        out.text("--out", "a.csv", "new a\n")
        out.text("--summary", "b.csv", "new b\n")
    if failure is EIO:
        assert "cannot write --summary b.csv" in one_line(error)
    assert snapshot(here) == before


def test_backups_are_kept_where_hard_links_are_not_allowed(here, monkeypatch):
    (here / "a.csv").write_text("old a\n")

    def no_links(src, dst):
        raise OSError(errno.EPERM, "links not allowed")

    monkeypatch.setattr(os, "link", no_links)
    with OutputSet() as out:
        out.text("--out", "a.csv", "new a\n")
    assert snapshot(here) == {"a.csv": b"new a\n"}


def test_paths_are_checked_again_at_commit(here):
    """A path that became the input (here: a hard link to it) while the plan was computed is refused."""
    (here / "log.csv").write_text("the log\n")
    before = snapshot(here)
    with pytest.raises(OutputError, match="same file as the input LOG"), OutputSet({"LOG": "log.csv"}) as out:
        out.text("--out", "plan.csv", "plan\n")
        os.link(here / "log.csv", here / "plan.csv")
    (here / "plan.csv").unlink()
    assert snapshot(here) == before


def test_nothing_can_be_added_after_the_commit(here):
    out = OutputSet()
    out.text("--out", "a.csv", "a")
    assert out.commit() == [here / "a.csv"]
    with pytest.raises(OutputError, match="already written"):
        out.text("--out", "b.csv", "b")


# ---------------------------------------------------------------- 6. numbers in full


def test_csv_numbers_round_trip_without_exponents():
    frame = pd.DataFrame({
        "campaign": ["=1+1", "+x", "-y", "@z", "\tt", "\rr", "plain", None],
        "spend": [1848300.0, 47911.449999999997, 443.62499999999994, 2.675, 0.125, -0.001, np.nan, 1e9 + 0.005],
        "share": [0.000012345, 1e-12, 1 / 3, 1848300.0, 123456789.123, 2e-16, np.nan, -0.5],
        "visits": [1.5, 2.5, 3.49, 0.0, 7.0, 1e6, np.nan, 2.0],
        "rows": [1, 2, 3, 4, 5, 6, 7, 8],
        "ok": [True, False] * 4,
    })
    text = csv_text(frame, money=["spend", "absent"], counts=["visits"])
    assert "e-" not in text and "e+" not in text and "E" not in text
    lines = text.split("\n")
    assert lines[0] == "campaign,spend,share,visits,rows,ok"
    assert lines[1] == "'=1+1,1848300.00,0.000012345,2,1,True"
    assert lines[2] == "'+x,47911.45,0.000000000001,2,2,False"
    assert lines[3] == "'-y,443.62,0.3333333333,3,3,True"
    assert lines[4] == "'@z,2.68,1848300,0,4,False"
    assert lines[5] == "'\tt,0.12,123456789.1,7,5,True"
    assert lines[6:8] == ['"\'', 'r",0.00,0,1000000,6,False']  # a bare CR would end the row: a quoted LF
    assert lines[8] == "plain,,,,7,True"
    assert lines[9] == ",1000000000.00,-0.5,2,8,False"
    back = pd.read_csv(io.StringIO(text))
    assert back["spend"].round(2).equals(back["spend"])
    np.testing.assert_allclose(back["spend"], frame["spend"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(back["share"], frame["share"], rtol=5e-10, atol=1e-15)
    assert back["rows"].tolist() == frame["rows"].tolist()
    assert back["campaign"].iloc[0] == "'=1+1" and back["campaign"].isna().iloc[7]
    assert back.loc[5, "campaign"] == "'\nr" and back.loc[5, "spend"] == 0.0


def test_csv_headers_and_mixed_columns_are_safe():
    frame = pd.DataFrame({"=HYPERLINK()": ["a"], "mixed": pd.Series([-0.5], dtype=object),
                          "cat": pd.Categorical(["=bad"]), "n": pd.array([pd.NA], dtype="Float64")})
    assert csv_text(frame).splitlines() == ["'=HYPERLINK(),mixed,cat,n", "a,-0.5,'=bad,"]


def test_round_money_is_half_to_even_on_the_printed_decimal():
    assert [round_money(x) for x in (2.675, 0.125, 0.135, 443.62499999999994, -0.001, 0.115)] == [
        2.68, 0.12, 0.14, 443.62, 0.0, 0.12]
    assert math.copysign(1, round_money(-0.001)) == 1
    assert math.isnan(round_money(float("nan")))


def test_plain_number_never_uses_an_exponent():
    assert plain_number(1848300.0) == "1848300"
    assert plain_number(47911.45) == "47911.45"
    assert plain_number(0.000012345) == "0.000012345"
    assert plain_number(1e-12) == "0.000000000001"
    assert plain_number(1.5e20) == "150000000000000000000"
    assert plain_number(-3e-16) == "0"
    assert plain_number(float("nan")) == ""


def test_json_floats_are_cleaned_and_nan_is_null():
    data = {"spend": 443.62499999999994, "parts": (0.1 + 0.2, np.float64(1 / 3)), "n": np.int64(3),
            "flag": np.bool_(True), "missing": float("nan"), "big": 12345678901.23}
    assert clean_floats(data) == {"spend": 443.625, "parts": [0.3, 0.333333333333], "n": 3, "flag": True,
                                  "missing": None, "big": 12345678901.2}
    assert json.loads(json_text(data))["missing"] is None
    assert json_text({"ü": 1}) == '{\n  "ü": 1\n}\n'


# ---------------------------------------------------------------- 7. a report folder we own


def write_report(folder, files: dict[str, bytes], force=False):
    report = claim_report_dir(folder, force=force)
    with OutputSet(reports=[report]) as out:
        for name, data in files.items():
            out.bytes("--report", report.path / name, data)
    return report


def test_a_report_folder_is_claimed_made_and_later_cleaned(here):
    assert not (here / "rep").exists()
    write_report("rep", {"index.html": b"<html>", "a.png": b"A", "b.png": b"B"})
    manifest = json.loads((here / "rep" / MANIFEST).read_text())
    assert sorted(manifest["files"]) == ["a.png", "b.png", "index.html"]
    write_report("rep", {"index.html": b"<html>2", "a.png": b"A2"})  # b.png is stale: ours, removed
    assert sorted(os.listdir(here / "rep")) == [MANIFEST, "a.png", "index.html"]


def test_a_folder_with_files_we_did_not_write_needs_force_and_keeps_them(here):
    (here / "rep").mkdir()
    (here / "rep" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError) as error:
        claim_report_dir("rep")
    assert "holds files budgetopt did not write (notes.txt)" in one_line(error)
    assert "--force" in str(error.value)
    write_report("rep", {"index.html": b"x"}, force=True)
    write_report("rep", {"index.html": b"y"}, force=True)
    assert (here / "rep" / "notes.txt").read_text() == "mine"


def test_an_edited_report_file_is_no_longer_ours(here):
    write_report("rep", {"index.html": b"x", "a.png": b"A"})
    (here / "rep" / "a.png").write_bytes(b"edited by hand")
    with pytest.raises(OutputError, match="a.png"):
        claim_report_dir("rep")
    write_report("rep", {"index.html": b"y"}, force=True)
    assert (here / "rep" / "a.png").read_bytes() == b"edited by hand"


@pytest.mark.parametrize("entry", ["../victim.txt", "victim.txt", "{here}/victim.txt", "link.txt", "sub",
                                   "sub/victim.txt", "."])
def test_a_planted_manifest_deletes_nothing(here, entry):
    import hashlib

    (here / "victim.txt").write_text("precious")
    (here / "rep").mkdir()
    (here / "rep" / "victim.txt").write_text("precious too")
    (here / "rep" / "sub").mkdir()
    (here / "rep" / "sub" / "victim.txt").write_text("precious")
    os.symlink(here / "victim.txt", here / "rep" / "link.txt")
    right = hashlib.sha256(b"precious").hexdigest()  # right for the files outside, wrong for rep/victim.txt
    planted = {"files": {entry.format(here=here): right}}
    (here / "rep" / MANIFEST).write_text(json.dumps(planted))
    before = snapshot(here)
    write_report("rep", {"index.html": b"x"}, force=True)
    after = snapshot(here)
    assert after.pop("rep/index.html") == b"x" and after.pop(f"rep/{MANIFEST}") != before.pop(f"rep/{MANIFEST}")
    assert after == before


@pytest.mark.parametrize("manifest", [b"not json", b"[1, 2]", b'{"files": ["a.png"]}', b'{"files": {"a.png": 5}}'])
def test_a_broken_manifest_owns_nothing(here, manifest):
    (here / "rep").mkdir()
    (here / "rep" / "a.png").write_bytes(b"A")
    (here / "rep" / MANIFEST).write_bytes(manifest)
    with pytest.raises(OutputError, match="a.png"):
        claim_report_dir("rep")
    assert claim_report_dir("rep", force=True).previous == {}


def test_a_report_path_that_is_a_file_is_refused(here):
    (here / "rep").write_text("a file")
    with pytest.raises(OutputError, match="not a folder"):
        claim_report_dir("rep", force=True)
