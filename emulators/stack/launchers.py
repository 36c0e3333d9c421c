"""Launching the stack's processes (each in its own process group, recorded in ``pids.json``) and waiting
until they are ready."""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path

from emulators.stack.base import StackBase
from emulators.stack.ports import (
    AT_SANDBOX,
    EMULATORS,
    FIRESTORE_MAIN,
    GATEWAY,
    HOST,
    MPESA_SANDBOX,
    SANDBOX,
    ProcessRecord,
    StackAborted,
    StackError,
    function_process,
)
from emulators.stack.probes import health_probes, tcp_open
from emulators.stack.processes import log_tail, start_ticks
from emulators.stack.tooling import gcloud_sdk_root, prepare_bigquery_home
from mkopo import topology

log = logging.getLogger("mkopo.stack")


class Launchers(StackBase):
    """Start each part of the stack and wait for it."""

    def _launch_emulators(self) -> None:
        self._launch_pubsub()
        self._launch_firestore()
        self._launch_bigquery()

    def _launch_pubsub(self) -> None:
        launcher = gcloud_sdk_root() / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
        self._launch("pubsub", [str(launcher), *self._bind(self.ports.pubsub)], self.ports.pubsub)

    def _launch_firestore(self) -> None:
        jar = gcloud_sdk_root() / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
        cmd = ["java", "-Duser.language=en", "-cp", str(jar), FIRESTORE_MAIN, "start"]
        self._launch("firestore", [*cmd, *self._bind(self.ports.firestore)], self.ports.firestore)

    def _launch_bigquery(self) -> None:
        binary = self.bq_venv / "bin" / "bqemulator"
        if not binary.exists():
            raise StackError(f"{binary} is missing: run `make .venv-bq/.installed`")
        home = prepare_bigquery_home(self.root / ".cache" / "bqhome", self.bq_venv)
        env = {
            "HOME": str(home),
            "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false",
            "BQEMU_QUERY_CACHE_TTL_SECONDS": "0",
        }
        cmd = [str(binary), "start", "--rest-port", str(self.ports.bigquery_rest)]
        cmd += ["--grpc-port", str(self.ports.bigquery_grpc), "--project", self.project]
        self._launch("bigquery", cmd, self.ports.bigquery_rest, env)

    def _launch_functions(self) -> None:
        if not self.functions_source.exists():
            raise StackError(f"function source {self.functions_source} does not exist")
        env = self.emulator_env() | {"PYTHONPATH": self._pythonpath(with_root=False)} | self.extra_env
        for fn in topology.FUNCTIONS:
            signature = "cloudevent" if fn.trigger == "pubsub" else "http"
            port = self.ports.function(fn.name)
            cmd = [str(self.venv / "bin" / "functions-framework"), "--source", str(self.functions_source)]
            cmd += ["--target", fn.entry_point, "--signature-type", signature]
            cmd += ["--host", HOST, "--port", str(port)]
            self._launch(function_process(fn), cmd, port, env)

    def _launch_sandbox(self) -> None:
        if not self._module_exists(self.sandbox_module):
            log.warning("MoMo sandbox module %s not found: skipping the sandbox", self.sandbox_module)
            return
        cmd = [str(self.venv / "bin" / "python"), "-m", self.sandbox_module]
        cmd += ["--host", HOST, "--port", str(self.ports.momo_sandbox)]
        self._launch(SANDBOX, cmd, self.ports.momo_sandbox, {"PYTHONPATH": self._pythonpath()})
        mpesa = [str(self.venv / "bin" / "python"), "-m", "emulators.mpesa_sandbox"]
        mpesa += ["--host", HOST, "--port", str(self.ports.mpesa_sandbox)]
        self._launch(MPESA_SANDBOX, mpesa, self.ports.mpesa_sandbox, {"PYTHONPATH": self._pythonpath()})
        self._launch_at_sandbox()
        self.sandbox_started = True

    def _launch_at_sandbox(self) -> None:
        """The SMS sandbox, told our signed delivery-report and inbound URLs (as the AT dashboard is)."""
        from mkopo.adapters.africastalking import callback_urls
        from mkopo.config import LOCAL_CREDENTIALS

        key = self.extra_env.get("MKOPO_CALLBACK_SIGNING_KEY") or LOCAL_CREDENTIALS["callback_signing_key"]
        urls = callback_urls(self.gateway_url, key)
        at = [str(self.venv / "bin" / "python"), "-m", "emulators.at_sandbox"]
        at += ["--host", HOST, "--port", str(self.ports.at_sandbox)]
        at += ["--delivery-report-url", urls["delivery_report_url"], "--inbound-url", urls["inbound_url"]]
        self._launch(AT_SANDBOX, at, self.ports.at_sandbox, {"PYTHONPATH": self._pythonpath()})

    def _launch_gateway(self) -> None:
        cmd = [str(self.venv / "bin" / "python"), "-m", "emulators.gateway", "--project", self.project]
        cmd += ["--port", str(self.ports.gateway), "--offset", str(self.ports.offset)]
        cmd += ["--relay-interval-s", str(self.relay_interval_s)]
        cmd += ["--sandbox"] if self.sandbox_started else []
        self._launch(GATEWAY, cmd, self.ports.gateway, {"PYTHONPATH": self._pythonpath()})

    def _launch(self, name: str, cmd: list[str], port: int, env: Mapping[str, str] | None = None) -> None:
        if self.abort.is_set():
            raise StackAborted(f"not starting {name}: the stack is stopping")
        if name in self.running():
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        child_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        child_env |= {"PYTHONUNBUFFERED": "1"} | dict(env or {})
        with log_path.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=self.root,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._procs[name] = proc
        ticks = start_ticks(proc.pid)
        self._records[name] = ProcessRecord(name, proc.pid, proc.pid, ticks, port, str(log_path))
        self._save()

    @staticmethod
    def _bind(port: int) -> list[str]:
        return [f"--host={HOST}", f"--port={port}"]

    def _pythonpath(self, *, with_root: bool = True) -> str:
        paths = [self.root / "shared", self.root / "functions", *([self.root] if with_root else [])]
        paths += self.extra_pythonpath
        return os.pathsep.join(str(p) for p in paths)

    def _module_exists(self, module: str) -> bool:
        relative = Path(*module.split("."))
        roots = [Path(p) for p in self._pythonpath().split(os.pathsep)]
        return any((r / relative).with_suffix(".py").exists() or (r / relative).is_dir() for r in roots)

    def _save(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "offset": self.ports.offset,
            "project": self.project,
            "owner": self._owner,
            "processes": [asdict(r) for r in self._records.values()],
        }
        tmp = self.pids_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.pids_file)
        self._saved = True

    # ---------------------------------------------------------------------------------- waits

    def _wait_emulators(self) -> None:
        probes = health_probes(self.ports, self.project, sandbox=False)
        for name in EMULATORS:
            self._wait(name, probes[name])

    def _wait_functions(self) -> None:
        for fn in topology.FUNCTIONS:
            self._wait_tcp(function_process(fn), self.ports.function(fn.name))

    def _wait_sandbox(self) -> None:
        if self.sandbox_started:
            self._wait_tcp(SANDBOX, self.ports.momo_sandbox)
            self._wait_tcp(MPESA_SANDBOX, self.ports.mpesa_sandbox)
            self._wait_tcp(AT_SANDBOX, self.ports.at_sandbox)

    def _wait_tcp(self, name: str, port: int) -> None:
        self._wait(name, functools.partial(tcp_open, port, 0.5))

    def _wait(self, name: str, ready: Callable[[], bool]) -> None:
        """Poll ``ready`` until it holds; fail early with the log tail if the process exits or times out."""
        proc, record = self._procs[name], self._records[name]
        deadline = time.monotonic() + self.ready_timeout_s
        while not ready():
            if self.abort.is_set():
                raise StackAborted(f"stopped waiting for {name}: the stack is stopping")
            code = proc.poll()
            if code is not None:
                raise StackError(self._failure(name, f"exited with code {code}", record))
            if time.monotonic() > deadline:
                raise StackError(self._failure(name, f"not ready after {self.ready_timeout_s:.0f} s", record))
            time.sleep(0.1)

    @staticmethod
    def _failure(name: str, what: str, record: ProcessRecord) -> str:
        tail = log_tail(Path(record.log))
        return f"{name} (port {record.port}) {what}; log {record.log}:\n{tail}"
