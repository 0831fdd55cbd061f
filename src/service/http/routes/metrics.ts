/**
 * GET /metrics — Prometheus text from prom-client, on a registry of its own. Values are read from the view at
 * scrape time. Labels are camera and process names only: never a source URL.
 */
import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { HttpContext } from '../context.js';
import { parseQuery } from '../query.js';
import { noQuery } from './api.schema.js';

export function metricsPlugin(ctx: HttpContext): FastifyPluginAsync {
  return async (app) => {
    const register = new Registry();
    collectDefaultMetrics({ register, prefix: 'framering_service_' });
    const cam = ['camera'] as const;
    const proc = ['process'] as const;
    const g = (name: string, help: string, labelNames: readonly string[] = []) =>
      new Gauge({ name, help, labelNames, registers: [register] });
    const c = (name: string, help: string, labelNames: readonly string[] = []) =>
      new Counter({ name, help, labelNames, registers: [register] });
    const m = {
      camFps: g('framering_camera_fps', 'Frames per second in from ffmpeg (camera_fps)', cam),
      procFps: g('framering_camera_process_fps', 'Frames per second analysed (process_fps)', cam),
      skipFps: g('framering_camera_skipped_fps', 'Frames per second dropped (skipped_fps)', cam),
      detFps: g('framering_camera_detection_fps', 'Frames per second the master analysed (detection_fps)', cam),
      up: g('framering_camera_up', '1 while the camera is streaming, else 0', cam),
      frames: c('framering_camera_frames_total', 'Frames received from the camera', cam),
      dropped: c('framering_camera_dropped_total', 'Frames dropped for this camera', cam),
      restarts: c('framering_camera_restarts_total', 'ffmpeg restarts for this camera', cam),
      cpu: g('framering_process_cpu_percent', 'CPU of an analysis process, percent of one core', proc),
      rss: g('framering_process_resident_memory_bytes', 'Resident memory of an analysis process', proc),
      pframes: c('framering_process_frames_total', 'Frames an analysis process handled', proc),
      replies: c('framering_process_replies_total', 'Replies an analysis process received or sent', proc),
      shmUsed: g('framering_shm_used_bytes', 'Bytes of /dev/shm used by framering rings'),
      shmFree: g('framering_shm_free_bytes', 'Bytes free in /dev/shm'),
      held: g('framering_shm_slots_held', 'Ring slots held by readers now'),
      clients: g('framering_http_clients', 'Open HTTP streaming clients', ['kind']),
      encoded: c('framering_http_jpeg_encoded_total', 'JPEG pictures the encoder produced'),
      mjpegSent: c('framering_http_mjpeg_frames_sent_total', 'MJPEG frames written to viewers'),
      mjpegDropped: c('framering_http_mjpeg_frames_dropped_total', 'MJPEG frames skipped for viewers that were behind'),
      sseDropped: c('framering_http_events_dropped_total', 'Events not sent to subscribers that were behind'),
      bridgeUp: g('framering_bridge_connected', '1 while a bridge (mqtt, nats) is connected, else 0', ['bridge']),
      bridgeQueued: g('framering_bridge_queued_messages', "Messages waiting in a bridge's bounded queue", ['bridge']),
      bridgeSent: c('framering_bridge_sent_total', 'Messages a bridge sent', ['bridge']),
      bridgeReceived: c('framering_bridge_received_total', 'Messages a bridge received', ['bridge']),
      bridgeDropped: c('framering_bridge_dropped_total', 'Messages a bridge dropped (queue full, peer gone)', [
        'bridge',
      ]),
      remoteSent: c('framering_remote_master_frames_sent_total', 'Frames sent to a remote master over NATS', [
        'master',
      ]),
      remoteReplied: c('framering_remote_master_replies_total', 'Replies received from a remote master', ['master']),
      remoteSkipped: c(
        'framering_remote_master_frames_skipped_total',
        'Frames not sent: in-flight limit or no connection',
        ['master'],
      ),
      remoteTimedOut: c('framering_remote_master_timeouts_total', 'Frames whose reply did not come in time', [
        'master',
      ]),
      remoteRtt: g('framering_remote_master_round_trip_ms', 'Round trip to a remote master, ms', [
        'master',
        'quantile',
      ]),
      remoteBytes: g('framering_remote_master_bytes_per_frame', 'Mean bytes of a frame message to a remote master', [
        'master',
      ]),
    };
    const setCounter = (counter: Counter<string>, labels: Record<string, string>, value: number) =>
      counter.inc(labels, Math.max(0, value || 0));

    app.addHook('onClose', async () => register.clear());

    app.get('/metrics', async (req, reply) => {
      parseQuery(noQuery, req.query);
      const s = ctx.view.stats();
      for (const metric of Object.values(m)) metric.reset();
      for (const [camera, st] of Object.entries(s.cameras)) {
        const l = { camera };
        m.camFps.set(l, st.camera_fps);
        m.procFps.set(l, st.process_fps);
        m.skipFps.set(l, st.skipped_fps);
        m.detFps.set(l, st.detection_fps);
        m.up.set(l, st.state === 'streaming' ? 1 : 0);
        setCounter(m.frames, l, st.frames);
        setCounter(m.dropped, l, st.dropped);
        setCounter(m.restarts, l, st.restarts);
      }
      for (const [process, p] of Object.entries(s.processes)) {
        const l = { process };
        m.cpu.set(l, p.cpu_percent);
        m.rss.set(l, p.rss_bytes);
        setCounter(m.pframes, l, p.frames);
        setCounter(m.replies, l, p.replies);
      }
      for (const [bridge, b] of Object.entries(s.bridges ?? {})) {
        const l = { bridge };
        m.bridgeUp.set(l, b.state === 'connected' ? 1 : 0);
        m.bridgeQueued.set(l, b.queued);
        setCounter(m.bridgeSent, l, b.sent);
        setCounter(m.bridgeReceived, l, b.received);
        setCounter(m.bridgeDropped, l, b.dropped);
      }
      // Per remote master (the NATS bridge's camera side): { masters: { name: RemoteMasterStats } }.
      const masters =
        (s.bridges?.nats as { masters?: Record<string, Record<string, number | null>> } | undefined)?.masters ?? {};
      for (const [master, r] of Object.entries(masters)) {
        const l = { master };
        setCounter(m.remoteSent, l, Number(r.frames_sent));
        setCounter(m.remoteReplied, l, Number(r.replied));
        setCounter(m.remoteSkipped, l, Number(r.skipped));
        setCounter(m.remoteTimedOut, l, Number(r.timed_out));
        if (typeof r.rtt_p50_ms === 'number') m.remoteRtt.set({ master, quantile: '0.5' }, r.rtt_p50_ms);
        if (typeof r.rtt_p99_ms === 'number') m.remoteRtt.set({ master, quantile: '0.99' }, r.rtt_p99_ms);
        if (typeof r.bytes_per_frame === 'number') m.remoteBytes.set(l, r.bytes_per_frame);
      }
      m.shmUsed.set(s.shm.used_bytes);
      m.shmFree.set(s.shm.free_bytes);
      m.held.set(s.shm.slots_held);
      m.clients.set({ kind: 'mjpeg' }, ctx.mjpegClients);
      m.clients.set({ kind: 'events' }, ctx.sse.size);
      setCounter(m.encoded, {}, ctx.encoder.stats.encoded);
      let sent = ctx.mjpegSent;
      let dropped = ctx.mjpegDropped;
      for (const set of ctx.mjpeg.values()) {
        for (const cl of set) {
          sent += cl.sent;
          dropped += cl.dropped;
        }
      }
      setCounter(m.mjpegSent, {}, sent);
      setCounter(m.mjpegDropped, {}, dropped);
      let sseDropped = ctx.sseDropped;
      for (const cl of ctx.sse) sseDropped += cl.dropped;
      setCounter(m.sseDropped, {}, sseDropped);
      reply.header('content-type', register.contentType).header('cache-control', 'no-store');
      return register.metrics();
    });
  };
}
