"""A StatsD receiver on loopback: collects the datagrams Airflow and docpipe send, so the demo can show
the metrics a run emitted (in production they go to the StatsD exporter and Prometheus, see deploy/)."""

from __future__ import annotations

import socket
import threading


class StatsdReceiver:
    """Collects the StatsD datagrams sent to a UDP port on 127.0.0.1 (a free one unless given)."""

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="statsd-receiver", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65535)
            except OSError:
                continue
            self.lines.extend(line for line in data.decode("utf-8", "replace").splitlines() if line)

    def start(self) -> StatsdReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()

    def env(self, prefix: str = "airflow") -> dict[str, str]:
        """Airflow's settings that send its metrics (and docpipe's, which go through Airflow's client) here."""
        return {
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(self.port),
            "AIRFLOW__METRICS__STATSD_PREFIX": prefix,
        }

    def counters(self, prefix: str) -> dict[str, int]:
        """Sum of every counter whose name starts with `prefix` (`name:value|c[|@rate][|#tags]`)."""
        totals: dict[str, int] = {}
        for line in list(self.lines):
            name, _, rest = line.partition(":")
            parts = rest.split("|")
            if name.startswith(prefix) and len(parts) >= 2 and parts[1] == "c":
                totals[name] = totals.get(name, 0) + int(float(parts[0]))
        return totals
