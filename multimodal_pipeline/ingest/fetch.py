"""Acquire a video's original (yt-dlp or a local copy) and its chat sidecar, immutably, by hash, in the ledger."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from multimodal_pipeline.contracts.config import IngestConfig
from multimodal_pipeline.contracts.records import RawVideo
from multimodal_pipeline.ingest.inbox import InboxEntry
from multimodal_pipeline.ingest.ledger import Ledger, LedgerEntry, publish_entries, restore_entries
from multimodal_pipeline.ingest.video_id import local_path
from multimodal_pipeline.media.probe import MediaError, probe
from multimodal_pipeline.storage.atomic import TMP_PREFIX, OwnedDir, atomic_write_text, sweep_orphans, sweep_temporary
from multimodal_pipeline.storage.locks import exclusive
from multimodal_pipeline.storage.hashing import sha256_file
from multimodal_pipeline.storage.root import DataRoot

Log = Callable[[str], None]


class IngestError(RuntimeError):
    """The source could not be acquired; the message names the URI and the cause. `transient`: the cause may go
    away by itself (a connection reset or refused, a timeout, HTTP 5xx or 429), so the step is worth retrying."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


_TRANSIENT = re.compile(r"HTTP Error (5\d\d|429)|timed? ?out|reset by peer|IncompleteRead|Connection refused|"
                        r"Remote end closed|Temporary failure|Connection aborted|EOF occurred|bytes read, \d+ more expected|"
                        r"Giving up after", re.IGNORECASE)


def _ytdlp_version() -> str:
    from yt_dlp.version import __version__

    return __version__


def _suffix(name: str, default: str) -> str:
    suffix = "".join(Path(name).suffixes[-2:]) if name.endswith(".live_chat.json") else Path(name).suffix
    return suffix.lower() if suffix and len(suffix) <= 16 else default


def _store(tmp_file: Path, folder: Path, suffix: str) -> tuple[Path, str, int]:
    """Move a finished download into `folder/<sha256><suffix>` (never overwriting an existing original)."""
    digest = sha256_file(tmp_file)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{digest}{suffix}"
    size = tmp_file.stat().st_size
    if final.exists():
        tmp_file.unlink()
    else:
        os.replace(tmp_file, final)
        final.chmod(0o444)
    return final, digest, size


#: subtitle files yt-dlp writes beside the media (`media.<lang>.<ext>`); never taken for the media itself
SUBTITLE_EXTS = (".json3", ".vtt", ".srt", ".ttml", ".srv1", ".srv2", ".srv3")


def _download_ytdlp(uri: str, work: Path, config: IngestConfig, log: Log, subs_lang: str | None = None
                    ) -> tuple[Path, dict[str, Any], Path | None, Path | None]:
    """(media, info, live-chat replay or None, subtitles or None). With `subs_lang`, the video's subtitles in that
    language (or its automatic captions), json3 first (it has word times), else WebVTT or SRT."""
    import yt_dlp

    if uri.startswith("file://") and not config.allow_file_urls:
        raise IngestError(f"{uri}: file:// URLs are disabled; set allow_file_urls in the ingest config, "
                          "or list the plain path instead")

    def hook(d: dict) -> None:
        # the cap holds while streaming, also when the server sends no length
        if config.max_bytes and d.get("status") == "downloading" and (d.get("downloaded_bytes") or 0) > config.max_bytes:
            raise IngestError(f"{uri}: more than max_bytes={config.max_bytes} bytes; download stopped")
        if d.get("status") == "downloading" and d.get("total_bytes"):
            pct = 100 * d.get("downloaded_bytes", 0) / d["total_bytes"]
            if int(pct) % 25 == 0:
                log(f"download {pct:.0f}% of {d['total_bytes']} bytes")

    opts = {
        "outtmpl": str(work / "media.%(ext)s"),
        "format": config.format,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "socket_timeout": config.socket_timeout_s,
        "retries": config.retries,
        "max_filesize": config.max_bytes,
        "enable_file_urls": config.allow_file_urls,
        "progress_hooks": [hook],
        "logger": (ytdlp_log := _YtdlpLog(log)),
        "paths": {"temp": str(work)},
    }
    langs = (["live_chat"] if config.youtube_live_chat else []) + ([subs_lang] if subs_lang else [])
    if langs:
        opts.update({"writesubtitles": True, "subtitleslangs": langs})
    if subs_lang:
        opts.update({"writeautomaticsub": True, "subtitlesformat": "json3/vtt/srt/best"})
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            info = ydl.extract_info(uri, download=True)
    except yt_dlp.utils.UnsupportedError as exc:
        raise IngestError(f"{uri}: unsupported URL: no yt-dlp extractor handles it ({_clean(exc)})") from exc
    except yt_dlp.networking.exceptions.NoSupportingHandlers as exc:
        raise IngestError(f"{uri}: unsupported URL: {_clean(exc)}") from exc
    except yt_dlp.utils.DownloadError as exc:
        raise IngestError(f"{uri}: download failed: {_clean(exc)}", bool(_TRANSIENT.search(str(exc)))) from exc
    media = [p for p in work.iterdir() if p.name.startswith("media.") and not p.name.endswith(".live_chat.json")
             and not p.name.endswith(".part") and p.suffix not in SUBTITLE_EXTS]
    refused = next((m for m in ytdlp_log.seen if "max-filesize" in m), None)
    if not media and config.max_bytes and refused:  # the server announced a larger size: nothing was downloaded
        raise IngestError(f"{uri}: larger than max_bytes={config.max_bytes} ({refused.split('] ')[-1].strip()})")
    if not media:
        raise IngestError(f"{uri}: yt-dlp finished but wrote no media file")
    chat = next((p for p in work.iterdir() if p.name.endswith(".live_chat.json")), None)
    subs = sorted((p for p in work.iterdir() if p.name.startswith("media.") and p.suffix in SUBTITLE_EXTS),
                  key=lambda p: SUBTITLE_EXTS.index(p.suffix))
    return media[0], info or {}, chat, subs[0] if subs else None


class _YtdlpLog:
    """Routes yt-dlp's messages to the caller's log instead of stderr."""

    def __init__(self, log: Log):
        self.log = log
        self.seen: list[str] = []

    def debug(self, msg: str) -> None:
        if not msg.startswith("[debug]"):
            self.seen = [*self.seen[-20:], msg]
            self.log(f"yt-dlp: {msg}")

    info = debug

    def warning(self, msg: str) -> None:
        self.log(f"yt-dlp warning: {msg}")

    def error(self, msg: str) -> None:
        self.log(f"yt-dlp error: {msg}")


def _clean(exc: Exception) -> str:
    return str(exc).replace("ERROR: ", "").strip()


def _fetch_sidecar(uri: str, work: Path, config: IngestConfig, log: Log = lambda _m: None,
                   sleep: Callable[[float], None] = time.sleep, kind: str = "chat") -> Path:
    """The chat (or subtitles) sidecar copied or downloaded into `work`: at most `max_chat_bytes` (counted while
    streaming); a failed download (connection refused or reset, a timeout, HTTP 5xx or 429) is retried `retries`
    times with doubling waits; other HTTP errors fail at once."""
    path = local_path(uri)
    target = work / (kind + _suffix(uri.split("?")[0], ".json"))
    what = f"{kind} sidecar"
    if path is not None:
        if not path.is_file():
            raise IngestError(f"{what} not found: {path}")
        if path.stat().st_size > config.max_chat_bytes:
            raise IngestError(f"{what} {path}: {path.stat().st_size} bytes exceeds "
                              f"max_chat_bytes={config.max_chat_bytes}")
        shutil.copyfile(path, target)
        return target
    wait = config.retry_backoff_s
    for attempt in range(config.retries + 1):
        try:
            with urllib.request.urlopen(uri, timeout=config.socket_timeout_s) as resp, open(target, "wb") as f:
                got = 0
                while chunk := resp.read(1 << 20):
                    got += len(chunk)
                    if got > config.max_chat_bytes:
                        raise IngestError(f"{what} {uri}: more than max_chat_bytes={config.max_chat_bytes} "
                                          "bytes; download stopped")
                    f.write(chunk)
                expected = resp.headers.get("Content-Length")
                if expected is not None and expected.isdigit() and got != int(expected):
                    raise OSError(f"connection closed after {got} of {expected} bytes")
            return target
        except urllib.error.HTTPError as exc:
            transient = exc.code >= 500 or exc.code == 429
            error = IngestError(f"{what} {uri}: HTTP {exc.code} {exc.reason}")
        except (urllib.error.URLError, OSError) as exc:
            transient = True
            error = IngestError(f"{what} {uri}: cannot be fetched ({getattr(exc, 'reason', exc)})")
        if not transient or attempt == config.retries:
            raise IngestError(f"{error} (after {attempt + 1} attempts)" if attempt else str(error), transient)
        log(f"{error}; trying again in {wait:.1f} s ({attempt + 1}/{config.retries})")
        sleep(wait)
        wait *= 2
    raise AssertionError("unreachable")


def acquire(entry: InboxEntry, raw_root: Path, config: IngestConfig | None = None,
            log: Log = lambda _m: None, store: DataRoot | None = None) -> RawVideo:
    """The manifest row of a video's immutable original, downloading it only when not stored and verified yet.

    With the data root `store` (whose working copy holds `raw_root`), the row's paths are keys relative to it, and
    on an object store the originals and the ledger entries are stored there (and restored from there first)."""
    config = config or IngestConfig()
    raw_root = Path(raw_root)
    # one run per video at a time: a second run of the same partition waits here, then is refused
    with exclusive(raw_root / ".locks" / f"{entry.video_id}.lock", f"video {entry.video_id}", config.lock_wait_s, log):
        record = _acquire(entry, raw_root, config, log, store)
    if store is None:
        return record
    keys = {f: store.key(getattr(record, f)) for f in ("path", "chat_path", "subs_path", "voice_path")
            if getattr(record, f) is not None}
    return record.model_copy(update=keys)


def _acquire(entry: InboxEntry, raw_root: Path, config: IngestConfig, log: Log,
             store: DataRoot | None = None) -> RawVideo:
    # the download folders of killed runs (of any video: their owners are gone), and info files torn an hour ago
    for left in sweep_orphans(raw_root) + sweep_temporary(raw_root / "info"):
        log(f"removed {left.name}, left behind by an interrupted run")
    ledger = Ledger(raw_root)
    torn = ledger.repair()
    if torn is not None:
        log(f"the ledger {ledger.path} ended in a torn line (a run was killed while writing it): moved to "
            f"{ledger.torn_path}; {torn[:160]!r}")
    remote = store if store is not None and store.remote else None
    if remote is not None and (restored := restore_entries(remote, ledger, entry.video_id)):
        log(f"{restored} stored original(s) of {entry.video_id} brought from {remote.uri} into the working copy")
    known = ledger.latest(entry.video_id, "video")
    known_chat = ledger.latest(entry.video_id, "chat")
    known_subs = ledger.latest(entry.video_id, "subs")
    known_voice = ledger.latest(entry.video_id, "voice")
    # `subs=auto` finds no captions on many videos: a stored video without them is complete
    subs_done = entry.subs in (None, "auto") or known_subs is not None
    if known is not None and Path(known.path).exists() and (entry.chat is None or known_chat is not None) \
            and subs_done and (entry.voice is None or known_voice is not None):
        for stored in (known, known_chat, known_subs, known_voice):
            if stored is not None:
                ledger.verify(stored)
        log(f"original already stored and verified: {known.path}; nothing downloaded")
        if remote is not None:  # stored in this working copy by a run that died before it uploaded them
            publish_entries(remote, (known, known_chat, known_subs, known_voice))
        info: dict[str, Any] = {"title": None, "extractor": "stored"}
        prior = _prior_info(raw_root, known.sha256, remote)
        return _manifest(entry, known, prior or info, known_chat, known_subs, known_voice)

    with OwnedDir(raw_root, f"{TMP_PREFIX}{entry.video_id}@") as work:  # '@' is in no video id
        chat_tmp = _fetch_sidecar(entry.chat, work, config, log) if entry.chat else None
        subs_tmp = (_fetch_sidecar(entry.subs, work, config, log, kind="subs")
                    if entry.subs not in (None, "auto") else None)
        voice_tmp = _fetch_sidecar(entry.voice, work, config, log, kind="voice") if entry.voice else None
        path = local_path(entry.uri)
        if path is not None and not entry.uri.startswith("file://"):
            if not path.is_file():
                raise IngestError(f"{entry.uri}: local file not found")
            if config.max_bytes and path.stat().st_size > config.max_bytes:
                raise IngestError(f"{entry.uri}: {path.stat().st_size} bytes exceeds max_bytes={config.max_bytes}")
            media_tmp = work / ("media" + _suffix(path.name, ".bin"))
            shutil.copyfile(path, media_tmp)
            info = {"title": path.stem, "extractor": "local", "webpage_url": str(path)}
            if entry.subs == "auto":
                log("subs=auto: a local file has no captions to fetch; the ASR transcribes it")
        else:
            lang = (entry.lang if entry.lang not in (None, "auto") else "en") if entry.subs == "auto" else None
            media_tmp, info, yt_chat, yt_subs = _download_ytdlp(entry.uri, work, config, log, lang)
            chat_tmp = chat_tmp or yt_chat
            subs_tmp = subs_tmp or yt_subs
            if entry.subs == "auto":
                log(f"subs=auto: {'captions ' + yt_subs.name if yt_subs else 'no captions'} found")
        if config.max_bytes and media_tmp.stat().st_size > config.max_bytes:
            raise IngestError(f"{entry.uri}: {media_tmp.stat().st_size} bytes exceeds max_bytes={config.max_bytes}")
        try:  # refuse empty, truncated or non-media files before anything lands in data/raw
            probe(media_tmp)
        except MediaError as exc:
            raise MediaError(str(exc).replace(str(media_tmp), entry.uri)) from exc
        final, digest, size = _store(media_tmp, raw_root / "videos", _suffix(media_tmp.name, ".bin"))
        known = ledger.append(entry.video_id, "video", final, digest, size, entry.uri)
        if chat_tmp is not None:
            chat_final, chat_digest, chat_size = _store(chat_tmp, raw_root / "chat", _suffix(chat_tmp.name, ".json"))
            known_chat = ledger.append(entry.video_id, "chat", chat_final, chat_digest, chat_size,
                                       entry.chat or f"{entry.uri}#live_chat")
        else:
            known_chat = None
        if subs_tmp is not None:
            subs_final, subs_digest, subs_size = _store(subs_tmp, raw_root / "subs", _suffix(subs_tmp.name, ".vtt"))
            known_subs = ledger.append(entry.video_id, "subs", subs_final, subs_digest, subs_size,
                                       entry.subs if entry.subs != "auto" else f"{entry.uri}#captions")
        if voice_tmp is not None:
            voice_final, voice_digest, voice_size = _store(voice_tmp, raw_root / "voices",
                                                           _suffix(voice_tmp.name, ".wav"))
            known_voice = ledger.append(entry.video_id, "voice", voice_final, voice_digest, voice_size, entry.voice)
        _save_info(raw_root, digest, info)
        if remote is not None:  # the files first, then the entries that name them, then the info
            publish_entries(remote, (known, known_chat, known_subs, known_voice))
            remote.publish(_info_path(raw_root, digest), immutable=False)
        return _manifest(entry, known, info, known_chat, known_subs, known_voice)


def _info_path(raw_root: Path, digest: str) -> Path:
    return raw_root / "info" / f"{digest}.json"


def _save_info(raw_root: Path, digest: str, info: dict[str, Any]) -> None:
    keep = {k: info.get(k) for k in ("title", "extractor", "extractor_key", "id", "uploader", "channel",
                                     "webpage_url", "duration")}
    atomic_write_text(_info_path(raw_root, digest), json.dumps(keep, sort_keys=True, default=str))


def _prior_info(raw_root: Path, digest: str, remote: DataRoot | None = None) -> dict[str, Any] | None:
    path = _info_path(raw_root, digest)
    if remote is not None and not path.exists():
        try:
            remote.fetch(remote.key(path))
        except FileNotFoundError:
            return None
    return json.loads(path.read_text()) if path.exists() else None


def _manifest(entry: InboxEntry, video: LedgerEntry, info: dict[str, Any], chat: LedgerEntry | None,
              subs: LedgerEntry | None = None, voice: LedgerEntry | None = None) -> RawVideo:
    media = probe(video.path)
    return RawVideo(
        video_id=entry.video_id, source_uri=entry.uri, path=video.path, sha256=video.sha256, bytes=video.bytes,
        title=info.get("title"), duration_ms=media.duration_ms, container=media.container,
        video_codec=media.video_codec, audio_codec=media.audio_codec, audio_channels=media.audio_channels,
        audio_sample_rate=media.audio_sample_rate,
        extractor=str(info.get("extractor_key") or info.get("extractor") or "unknown"),
        uploader=info.get("uploader") or info.get("channel"),
        chat_source=chat.source_uri if chat else None, chat_path=chat.path if chat else None,
        chat_sha256=chat.sha256 if chat else None,
        subs_source=subs.source_uri if subs else None, subs_path=subs.path if subs else None,
        subs_sha256=subs.sha256 if subs else None,
        voice_path=voice.path if voice else None, voice_sha256=voice.sha256 if voice else None,
        downloaded_at=video.recorded_at, ytdlp_version=_ytdlp_version(),
    )
