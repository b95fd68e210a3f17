/* <spotify-now-playing>: never trusts the JSON, never throws into the page. */
(() => {
  const NAME = "spotify-now-playing";
  if (!window.customElements || customElements.get(NAME)) return;

  const LOGO =
    "M12 0a12 12 0 0 0 0 24 12 12 0 0 0 0-24zm5.5 17.3c-.2.4-.7.5-1 .3-2.8-1.7-6.4-2.1-10.6-1.1-.4.1-.8-.2-.9-.6-.1-.4.2-.8.6-.9 4.6-1 8.6-.6 11.7 1.3.3.2.4.7.2 1zm1.5-3.3c-.3.4-.8.6-1.3.3-3.2-2-8.1-2.6-11.9-1.4-.5.1-1-.1-1.2-.6-.1-.5.1-1 .6-1.2 4.4-1.3 9.8-.7 13.5 1.6.5.3.6.9.3 1.3zm.1-3.4C15.2 8.4 8.7 8.2 5 9.3c-.6.2-1.2-.2-1.4-.7-.2-.6.2-1.2.7-1.4 4.3-1.3 11.5-1 16 1.6.5.3.7 1 .4 1.5-.3.5-1 .7-1.6.4z";
  const LABELS = {
    playing: "Now playing",
    paused: "Paused",
    last: "Last played",
    idle: "Not playing anything right now",
    offline: "Spotify status unavailable",
    open: "Listen on Spotify",
  };

  const safely = (work) => {
    try {
      work();
    } catch {}
  };
  const parse = (value, base) => {
    try {
      return new URL(value, base);
    } catch {
      return null;
    }
  };
  // Check the parsed href: what the browser will use.
  const allowed = (pattern) => (value, base) => {
    const url = parse(value, base);
    return url && pattern.test(url.href) ? url.href : null;
  };
  const spotifyLink = allowed(/^https:\/\/open\.spotify\.com\//);
  const imageLink = allowed(/^https:\/\/([\w-]+\.)*(scdn\.co|spotifycdn\.com)\//);
  const webLink = allowed(/^https?:/);
  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

  const readItem = (raw) => {
    if (!raw?.title) return null;
    const link = (url) => (raw.is_local ? null : spotifyLink(url));
    const album = raw.album || { name: raw.title, url: raw.url };
    return {
      title: raw.title,
      url: link(raw.url),
      artists: (raw.artists || []).map((artist) => ({ name: artist.name, url: link(artist.url) })),
      album: { name: album.name, url: link(album.url) },
      image: raw.is_local ? null : imageLink(raw.image?.url),
      duration: Math.max(0, raw.duration_ms) || 0,
    };
  };

  const node = (className, text, url) => {
    const element = document.createElement(url ? "a" : "span");
    element.className = className;
    if (text) element.textContent = text;
    if (url) Object.assign(element, { href: url, target: "_blank", rel: "noopener noreferrer" });
    return element;
  };

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
      this._config = this._readConfig();
      if (!this._config.endpoint) return;
      this._life = new AbortController();
      this._failures = 0;
      const onVisibility = () => safely(() => (document.hidden ? this._pause() : this._fetch()));
      document.addEventListener("visibilitychange", onVisibility, { signal: this._life.signal });
      if (!document.hidden) this._fetch();
    }

    _pause() {
      clearTimeout(this._timer);
      clearInterval(this._ticker);
    }

    _stop() {
      this._pause();
      if (this._life) this._life.abort();
      if (this._request) this._request.abort();
      this._life = this._request = null;
    }

    _readConfig() {
      const value = (name) => this.getAttribute(name);
      const seconds = (name, fallback) => {
        const parsed = Number(value(name));
        return (parsed >= 1 && parsed <= 86400 ? parsed : fallback) * 1000;
      };
      const labels = {};
      for (const key in LABELS) labels[key] = value(`label-${key}`) || LABELS[key];
      const base = (value("proxy-url") || "").trim().replace(/\/+$/, "");
      const min = seconds("min-interval", 5);
      return {
        endpoint: base && webLink(`${base}/v1/now-playing`, document.baseURI),
        idle: ["message", "hide"].includes(value("idle")) ? value("idle") : "last",
        art: value("art") !== "off",
        progress: value("progress") !== "off",
        min,
        max: Math.max(min, seconds("max-interval", 60)),
        labels,
      };
    }

    _schedule(delay) {
      clearTimeout(this._timer);
      if (!document.hidden) this._timer = setTimeout(() => safely(() => this._fetch()), delay);
    }

    _fetch() {
      clearTimeout(this._timer);
      if (!this._life || this._request) return;
      const life = this._life;
      const request = (this._request = new AbortController());
      const timeout = setTimeout(() => request.abort(), 10000);
      const live = () => life === this._life;
      fetch(this._config.endpoint, { signal: request.signal, credentials: "omit" })
        .then((response) => {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .finally(() => {
          clearTimeout(timeout);
          if (this._request === request) this._request = null;
        })
        .then((data) => live() && this._receive(data))
        .catch(() => live() && safely(() => this._failed()));
    }

    _failed() {
      const ceiling = Math.min(300000, this._config.min * 2 ** ++this._failures);
      // Jitter: a proxy coming back is not stampeded.
      this._schedule(((1 + Math.random()) * ceiling) / 2);
      clearInterval(this._ticker);
      // Unknown whether it still plays: freeze.
      if (this._position) this._position = { at: 0, ms: this._elapsed(), running: false };
      const view = this._view;
      if (view && view.state !== "hidden") {
        this._render({ ...view, state: "offline", label: this._config.labels.offline });
      }
    }

    _receive(data) {
      const config = this._config;
      const current = readItem(data.item);
      const age = Date.now() - data.fetched_at;
      // A stale answer (Spotify failing) that outlived its track is history, not "now".
      const over = data.stale && current && age > current.duration - data.progress_ms;
      const last = config.idle === "last" && (over ? current : readItem(data.last_played));
      const active = current && !over && ["playing", "paused"].includes(data.status);
      const state = active ? data.status : last ? "last" : config.idle === "hide" ? "hidden" : "idle";
      const item = active ? current : last || null;
      const running = state === "playing";
      this._failures = 0;

      this._position = null;
      if (active && typeof data.progress_ms === "number") {
        // fetched_at ages a cached answer, unless the clocks disagree.
        const ms = data.progress_ms + (running && age >= 0 && age <= config.max ? age : 0);
        this._position = { at: performance.now(), ms, running };
      }

      let delay = config.max;
      if (running) {
        // Just after the track ends; every half heartbeat at least, for skips.
        const left = item.duration - this._elapsed() + 1000;
        delay = clamp(left, config.min, Math.max(config.min, config.max / 2));
      }
      this._schedule(delay);
      this._render({ state, item, label: config.labels[state] || config.labels.idle });
      clearInterval(this._ticker);
      if (running && this._bar) {
        this._ticker = setInterval(() => safely(() => this._paint()), 1000);
      }
    }

    _elapsed() {
      const position = this._position;
      return position ? position.ms + (position.running ? performance.now() - position.at : 0) : 0;
    }

    _render(view) {
      const { item, label } = view;
      const key = JSON.stringify([item, !!this._position]);
      this._view = view;
      this.setAttribute("data-state", view.state);
      if (!this._box) {
        this._box = node("snp");
        this._live = node("snp-live");
        this._live.setAttribute("aria-live", "polite");
        this.replaceChildren(this._box, this._live);
      }
      if (key !== this._key) {
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
        const image = { referrerPolicy: "no-referrer", src: item.image, alt: album.name };
        if (item.image) art.append(Object.assign(new Image(), image));
        parts.push(art);
      }

      const text = node("snp-text");
      this._label = node("snp-label");
      text.append(this._label);
      if (item) {
        const title = node("snp-title", item.title, item.url);
        const by = node("snp-by");
        title.title = item.title;
        by.title = names;
        item.artists.forEach((artist, i) => by.append(i ? ", " : "", node("", artist.name, artist.url)));
        text.append(title, by);
        if (config.progress && this._position && item.duration) {
          this._bar = node("snp-bar");
          this._bar.setAttribute("role", "progressbar");
          this._fill = node("snp-fill");
          this._bar.append(this._fill);
          text.append(this._bar);
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
      this._box.replaceChildren(...parts, text, logo);
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

  customElements.define(NAME, SpotifyNowPlaying);
})();
