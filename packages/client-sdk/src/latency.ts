/**
 * Latency from the hub's stamps, sampled on every tick: the last 8,192 of each figure, percentiles on
 * demand. Cheap: two subtractions and two array writes per tick.
 *
 * - `hub_to_client_us`: arrival here − `hub_pub_ts` (the PUB queue, the network, this client's receive and
 *   decode). Compares this host's clock with the hub's: exact on the hub's host, as good as the clock sync
 *   (NTP, PTP) elsewhere; negative values mean the clocks disagree.
 * - `source_to_client_us`: arrival here − `gw_recv_ts` (the whole path from the gateway).
 * - `hub_internal_us`: `hub_pub_ts` − `hub_recv_ts` (one clock: the hub's).
 */
const SIZE = 8192;

export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LatencyStats {
  hub_to_client_us: LatencySummary;
  source_to_client_us: LatencySummary;
  hub_internal_us: LatencySummary;
}

class Ring {
  readonly v = new Float64Array(SIZE);
  n = 0;
  add(x: number): void {
    this.v[this.n++ & (SIZE - 1)] = x;
  }
  summary(): LatencySummary {
    const k = Math.min(this.n, SIZE);
    if (k === 0) return { samples: 0, p50: 0, p99: 0, max: 0 };
    const s = this.v.slice(0, k).sort();
    return { samples: this.n, p50: s[Math.floor((k - 1) * 0.5)]!, p99: s[Math.floor((k - 1) * 0.99)]!, max: s[k - 1]! };
  }
}

export class Latency {
  private readonly hubToClient = new Ring();
  private readonly sourceToClient = new Ring();
  private readonly hubInternal = new Ring();

  /** Epoch microseconds now (the hub stamps the same way). */
  static nowUs(): number {
    return (performance.timeOrigin + performance.now()) * 1000;
  }

  sample(recvUs: number, hubPubUs: number, hubRecvUs: number, gwRecvUs: number): void {
    this.hubToClient.add(recvUs - hubPubUs);
    if (gwRecvUs > 0) this.sourceToClient.add(recvUs - gwRecvUs);
    this.hubInternal.add(hubPubUs - hubRecvUs);
  }

  stats(): LatencyStats {
    return { hub_to_client_us: this.hubToClient.summary(), source_to_client_us: this.sourceToClient.summary(), hub_internal_us: this.hubInternal.summary() };
  }
}
