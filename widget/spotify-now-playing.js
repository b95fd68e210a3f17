/* <spotify-now-playing>: never trusts the JSON, never throws into the page (docs/widget.md).
 *
 * The readable source; `make widget` minifies it into mkdocs_spotify/assets/, which is what
 * pages load (the budget is 5,000 bytes gzip -9 for the script and the stylesheet together).
 *
 * Three parts: pure functions (URL checks, `settings` from attributes, `view` from the JSON),
 * the transports (a fetch now and then; a server-sent events stream when the proxy offers one)
 * and the DOM (`_render`, `_build`, `_paint`).
 */
(() => {
  const NAME = "spotify-now-playing";
  if (!window.customElements || customElements.get(NAME)) return;

  const SECOND = 1000;
  const FETCH_TIMEOUT = 10 * SECOND;
  const LONGEST_WAIT = 300 * SECOND; // the back-off ceiling after errors
  // A stream quiet this long is checked with one fetch (its keep-alive pings are comments,
  // which EventSource does not surface).
  const SILENCE = 45 * SECOND;
  // Interval bounds and defaults in seconds, and caps on untrusted text: the same as the
  // plugin's config and the proxy's normaliser (tests/vectors.json holds both sides to them).
  const SHORTEST = 2;
  const LONGEST = 3600;
  const MIN_INTERVAL = 5;
  const MAX_INTERVAL = 60;
  const TEXT_CAP = 300;
  const ARTIST_CAP = 10;
  const URL_CAP = 2048;
  const IDLE = ["last", "message", "hide"];
  const LABELS = {
    playing: "Now playing",
    paused: "Paused",
    last: "Last played",
    idle: "Not playing anything right now",
    offline: "Spotify status unavailable",
    open: "Listen on Spotify",
  };
  const LOGO =
    "M12 0a12 12 0 0 0 0 24 12 12 0 0 0 0-24zm5.5 17.3c-.2.4-.7.5-1 .3-2.8-1.7-6.4-2.1-10.6-1.1-.4.1-.8-.2-.9-.6-.1-.4.2-.8.6-.9 4.6-1 8.6-.6 11.7 1.3.3.2.4.7.2 1zm1.5-3.3c-.3.4-.8.6-1.3.3-3.2-2-8.1-2.6-11.9-1.4-.5.1-1-.1-1.2-.6-.1-.5.1-1 .6-1.2 4.4-1.3 9.8-.7 13.5 1.6.5.3.6.9.3 1.3zm.1-3.4C15.2 8.4 8.7 8.2 5 9.3c-.6.2-1.2-.2-1.4-.7-.2-.6.2-1.2.7-1.4 4.3-1.3 11.5-1 16 1.6.5.3.7 1 .4 1.5-.3.5-1 .7-1.6.4z";

  const safely = (work) => {
    try {
      work();
    } catch {}
  };
  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
  const wait = (base, failures) =>
    ((1 + Math.random()) * Math.min(LONGEST_WAIT, base * 2 ** failures)) / 2;

  // URLs are checked as the proxy checks them: https, exactly the host, then only plain URL
  // characters (no space, quotes, angle brackets or backslash, which browsers "repair").
  const only = (host) => {
    const pattern = new RegExp(`^https://${host}([/?#][!#-&(-;=?-[\\]-~]*)?$`);
    return (value) =>
      typeof value == "string" && value.length <= URL_CAP && pattern.test(value) ? value : null;
  };
  const link = only("open\\.spotify\\.com");
  const spotifyImage = only("([a-z\\d]([a-z\\d-]*[a-z\\d])?\\.)+(scdn\\.co|spotifycdn\\.com)");
  const parse = (value, base) => {
    try {
      return new URL(value, base);
    } catch {}
  };
  // Spotify's image hosts, or the proxy's own origin (the demo proxy serves its own covers).
  const image = (value, proxy) => {
    const url = typeof value == "string" && value.trim() && parse(value, proxy);
    return spotifyImage(value) || (url && url.origin == parse(proxy)?.origin ? url.href : null);
  };
  const text = (value) =>
    typeof value != "string"
      ? ""
      : value.length > TEXT_CAP
        ? value.slice(0, TEXT_CAP - 1) + "…"
        : value;

  const readItem = (raw, proxy) => {
    const title = text(raw?.title);
    if (!title.trim()) return null;
    const url = (value) => (raw.is_local ? null : link(value));
    const album = raw.album || { name: title, url: raw.url };
    const artists = Array.isArray(raw.artists) ? raw.artists.slice(0, ARTIST_CAP) : [];
    return {
      title,
      url: url(raw.url),
      artists: artists.map((artist) => ({ name: text(artist?.name), url: url(artist?.url) })),
      album: { name: text(album.name), url: url(album.url) },
      image: raw.is_local ? null : image(raw.image?.url, proxy),
      duration: Math.max(0, raw.duration_ms) || 0,
    };
  };

  // The element's attributes (`get` reads one) -> its settings; anything odd is the default.
  const settings = (get, base) => {
    const seconds = (name, fallback) => {
      const value = Number(get(name));
      return (
        (Number.isInteger(value) && value >= SHORTEST && value <= LONGEST ? value : fallback) *
        SECOND
      );
    };
    const labels = {};
    for (const key in LABELS) labels[key] = get(`label-${key}`) || LABELS[key];
    const root = (get("proxy-url") || "").trim().replace(/\/+$/, "");
    const url = root && parse(`${root}/v1/now-playing`, base);
    const endpoint = /^https?:$/.test(url?.protocol) && url.href;
    const min = seconds("min-interval", MIN_INTERVAL);
    return {
      endpoint,
      stream: endpoint && get("live") != "off" && window.EventSource && endpoint + "/stream",
      idle: IDLE.includes(get("idle")) ? get("idle") : IDLE[0],
      art: get("art") != "off",
      progress: get("progress") != "off",
      min,
      max: Math.max(min, seconds("max-interval", MAX_INTERVAL)),
      labels,
    };
  };

  // The proxy's JSON at `now` (epoch ms) -> state, item, label, progress position and the delay
  // before the next fetch. Pure: apart from the transport and from the DOM.
  const view = (data, config, now) => {
    data = Object(data);
    const current = readItem(data.item, config.endpoint);
    const age = now - data.fetched_at;
    // A stale answer (Spotify failing) that outlived its track is history, not "now".
    const over = data.stale && current && age > current.duration - data.progress_ms;
    const last =
      config.idle == "last" && (over ? current : readItem(data.last_played, config.endpoint));
    const active = current && !over && ["playing", "paused"].includes(data.status);
    const state = active ? data.status : last ? "last" : config.idle == "hide" ? "hidden" : "idle";
    const item = active ? current : last || null;
    const running = state == "playing";
    let position = null;
    let delay = config.max;
    if (active && typeof data.progress_ms == "number") {
      // fetched_at ages a cached answer, unless the clocks disagree.
      position = {
        ms: data.progress_ms + (running && age >= 0 && age <= config.max ? age : 0),
        running,
      };
    }
    if (running) {
      // Just after the track ends; every half heartbeat at least, for skips.
      const left = item.duration - (position?.ms || 0) + SECOND;
      delay = clamp(left, config.min, Math.max(config.min, config.max / 2));
    }
    return { state, item, label: config.labels[state] || config.labels.idle, position, delay };
  };

  const node = (className, content, url) => {
    const element = document.createElement(url ? "a" : "span");
    element.className = className;
    if (content) element.textContent = content;
    if (url) Object.assign(element, { href: url, target: "_blank", rel: "noopener noreferrer" });
    return element;
  };
  let warned = false;

  class SpotifyNowPlaying extends HTMLElement {
    connectedCallback() {
      safely(() => this._start());
    }

    disconnectedCallback() {
      safely(() => this._stop());
      // Instant navigation replaced our placement target: follow it.
      queueMicrotask(() => this.isConnected || document.querySelector(NAME) || this._place());
    }

    _place() {
      try {
        const target = document.querySelector(this.getAttribute("placement"));
        return target && !target.contains(this) && !target.append(this);
      } catch {
        return false; // a bad selector: stay
      }
    }

    _start() {
      this._stop();
      if (this._place()) return;
      this._config = settings((name) => this.getAttribute(name), document.baseURI);
      if (!this._config.endpoint) return;
      this._life = new AbortController();
      this._failures = this._streamFailures = this._retryAt = 0;
      const sync = () => safely(() => this._sync());
      document.addEventListener("visibilitychange", sync, { signal: this._life.signal });
      // A footer hidden by the theme (display: none) resizes the box to nothing, and back.
      this._observer = new ResizeObserver(sync);
      this._observer.observe(this);
      sync();
    }

    // Fetch and stream only while the tab is visible and the element is rendered.
    _sync() {
      const on = !document.hidden && this.checkVisibility?.() != false;
      if (on == this._on) return;
      this._on = on;
      on ? this._fetch() : this._pause();
    }

    _pause() {
      clearTimeout(this._timer);
      clearInterval(this._ticker);
      this._stream?.close();
      this._stream = null;
    }

    _stop() {
      this._pause();
      this._life?.abort();
      this._request?.abort();
      this._observer?.disconnect();
      this._life = this._request = this._on = null;
    }

    _schedule(delay) {
      clearTimeout(this._timer);
      if (this._on) this._timer = setTimeout(() => safely(() => this._fetch()), delay);
    }

    _fetch() {
      clearTimeout(this._timer);
      if (!this._life || this._request) return;
      const life = this._life;
      const request = (this._request = new AbortController());
      const { endpoint } = this._config;
      const timeout = setTimeout(() => request.abort(), FETCH_TIMEOUT);
      const live = () => life == this._life;
      fetch(endpoint, { signal: request.signal, credentials: "omit" })
        .catch((error) => {
          // A refused origin looks like a network error; an opaque (no-cors) answer from the
          // same URL tells them apart. One warning per page, naming the fix.
          if (!warned && error instanceof TypeError) {
            warned = true;
            fetch(endpoint, { mode: "no-cors", credentials: "omit" }).then(
              () =>
                console.warn(
                  `${NAME}: add ${location.origin} to SPOTIFY_PROXY_ALLOWED_ORIGINS of ${endpoint}`,
                ),
              () => {},
            );
          }
          throw error;
        })
        .then((response) => {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .finally(() => {
          clearTimeout(timeout);
          if (this._request == request) this._request = null;
        })
        .then((data) => live() && this._receive(data))
        .catch(() => live() && safely(() => this._failed()));
    }

    // Server-sent events: the same JSON as the fetch, on connect and on every change. Any
    // trouble (an error, a close, a 503): back to polling, and the stream again after a back-off.
    _listen() {
      const stream = (this._stream = new EventSource(this._config.stream));
      stream.addEventListener("now-playing", (event) =>
        safely(() => {
          this._streamFailures = 0;
          this._receive(JSON.parse(event.data), true);
        }),
      );
      stream.onerror = () => safely(() => this._drop() || this._fetch());
    }

    _drop() {
      this._pause();
      this._retryAt = Date.now() + wait(this._config.min, ++this._streamFailures);
    }

    _failed() {
      this._schedule(wait(this._config.min, ++this._failures));
      clearInterval(this._ticker);
      // Unknown whether it still plays: freeze.
      if (this._position) this._position = { at: 0, ms: this._elapsed(), running: false };
      const shown = this._view;
      if (shown && shown.state != "hidden") {
        this._render({ ...shown, state: "offline", label: this._config.labels.offline });
      }
    }

    _receive(data, streamed) {
      const next = view(data, this._config, Date.now());
      const key = (shown) => JSON.stringify([shown?.state, shown?.item]);
      // A fetch during a stream (after SILENCE) that finds news: the stream missed it.
      if (this._stream && !streamed && key(next) != key(this._view)) this._drop();
      this._failures = 0;
      this._position = next.position && { ...next.position, at: performance.now() };
      this._schedule(this._stream ? Math.max(next.delay, SILENCE) : next.delay);
      this._render(next);
      clearInterval(this._ticker);
      if (next.state == "playing" && this._bar) {
        this._ticker = setInterval(() => safely(() => this._paint()), SECOND);
      }
      if (this._on && this._config.stream && !this._stream && Date.now() >= this._retryAt) {
        this._listen();
      }
    }

    _elapsed() {
      const position = this._position;
      return position ? position.ms + (position.running ? performance.now() - position.at : 0) : 0;
    }

    _render(shown) {
      const { item, label } = shown;
      const key = JSON.stringify([item, !!this._position]);
      this._view = shown;
      this.setAttribute("data-state", shown.state);
      if (!this._box) {
        this._box = node("snp");
        this._live = node("snp-live");
        this._live.setAttribute("aria-live", "polite");
        this.replaceChildren(this._box, this._live);
      }
      if (key != this._key) {
        const names = item ? item.artists.map((artist) => artist.name).join(", ") : "";
        // Announce new tracks only, not the first paint.
        if (this._key && item) this._live.textContent = `${label}: ${item.title} (${names})`;
        this._key = key;
        this._build(item, names);
      }
      this._label.textContent = label;
      this._paint();
    }

    _build(item, names) {
      const config = this._config;
      // Keep the keyboard focus on the equivalent link (or the logo) across the rebuild.
      const focused = document.activeElement;
      const links = () => [...this._box.querySelectorAll(`a[class="${focused.className}"]`)];
      const slot = this._box.contains(focused) ? links().indexOf(focused) : -1;
      const parts = [];
      this._bar = null;
      if (item && config.art) {
        const { album } = item;
        const art = node("snp-art", "", album.url);
        art.title = album.name;
        const picture = { referrerPolicy: "no-referrer", src: item.image, alt: album.name };
        if (item.image) art.append(Object.assign(new Image(), picture));
        parts.push(art);
      }

      const words = node("snp-text");
      this._label = node("snp-label");
      words.append(this._label);
      if (item) {
        const title = node("snp-title", item.title, item.url);
        const by = node("snp-by");
        title.title = item.title;
        by.title = names;
        item.artists.forEach((artist, i) =>
          by.append(i ? ", " : "", node("", artist.name, artist.url)),
        );
        words.append(title, by);
        if (config.progress && this._position && item.duration) {
          this._bar = node("snp-bar");
          this._bar.setAttribute("role", "progressbar");
          this._fill = node("snp-fill");
          this._bar.append(this._fill);
          words.append(this._bar);
        }
      }

      const logo = node("snp-logo", "", item?.url || "https://open.spotify.com/");
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      logo.setAttribute("aria-label", config.labels.open);
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("aria-hidden", "true");
      path.setAttribute("d", LOGO);
      svg.append(path);
      logo.append(svg);
      this._box.replaceChildren(...parts, words, logo);
      if (slot >= 0) (links()[slot] || logo).focus({ preventScroll: true });
    }

    _paint() {
      if (!this._bar) return;
      const share = clamp(this._elapsed() / this._view.item.duration, 0, 1);
      // CSSOM, unlike style="", passes a strict style-src.
      this._fill.style.transform = `scaleX(${share})`;
      this._bar.setAttribute("aria-label", this._view.label);
      this._bar.setAttribute("aria-valuenow", Math.round(100 * share));
    }
  }

  // The pure parts, for the tests (and for pages that render the JSON themselves).
  Object.assign(SpotifyNowPlaying, { view, settings, link, image });
  // Harmless in <head> without `defer` too (some themes ignore it): wait for the whole page.
  const define = () => customElements.get(NAME) || customElements.define(NAME, SpotifyNowPlaying);
  document.readyState == "loading"
    ? document.addEventListener("DOMContentLoaded", define)
    : define();
})();
