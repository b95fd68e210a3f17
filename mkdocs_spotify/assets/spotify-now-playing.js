/* <spotify-now-playing>: the JSON is never trusted (text only via textContent, links and images
 * re-checked against Spotify's hosts), and nothing here may throw into the page. */
(() => {
  "use strict";
  const NAME = "spotify-now-playing";
  if (!window.customElements || customElements.get(NAME)) return;

  const SVG = "http://www.w3.org/2000/svg";
  const LOGO =
    "M12 0C5.4 0 0 5.4 0 12s5.4 12 12 12 12-5.4 12-12S18.7 0 12 0zm5.5 17.3c-.2.4-.7.5-1 .3-2.8-1.7-6.4-2.1-10.6-1.1-.4.1-.8-.2-.9-.6-.1-.4.2-.8.6-.9 4.6-1 8.6-.6 11.7 1.3.3.2.4.7.2 1zm1.5-3.3c-.3.4-.8.6-1.3.3-3.2-2-8.1-2.6-11.9-1.4-.5.1-1-.1-1.2-.6-.1-.5.1-1 .6-1.2 4.4-1.3 9.8-.7 13.5 1.6.5.3.6.9.3 1.3zm.1-3.4C15.2 8.4 8.7 8.2 5 9.3c-.6.2-1.2-.2-1.4-.7-.2-.6.2-1.2.7-1.4 4.3-1.3 11.5-1 16 1.6.5.3.7 1 .4 1.5-.3.5-1 .7-1.6.4z";
  const LABELS = {
    playing: "Now playing",
    paused: "Paused",
    last: "Last played",
    idle: "Not playing anything right now",
    offline: "Spotify status unavailable",
    open: "Listen on Spotify",
  };

  const parse = (value, base) => {
    try {
      return new URL(value, base);
    } catch (error) {
      return null;
    }
  };
  const allowed = (hosts) => (value) => {
    const url = parse(value);
    const ok = url && url.protocol === "https:" && !url.username && !url.password;
    return ok && hosts.test(url.hostname) ? url.href : null;
  };
  const spotifyLink = allowed(/^open\.spotify\.com$/);
  const imageLink = allowed(/(^|\.)(scdn\.co|spotifycdn\.com)$/);
  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

  // Local files get no link and no art.
  const readItem = (raw) => {
    if (!raw || !raw.title) return null;
    const link = (url) => (raw.is_local ? null : spotifyLink(url));
    return {
      title: raw.title,
      url: link(raw.url),
      artists: (raw.artists || []).map((artist) => ({ name: artist.name, url: link(artist.url) })),
      album: raw.album ? { name: raw.album.name, url: link(raw.album.url) } : null,
      image: raw.image && !raw.is_local ? imageLink(raw.image.url) : null,
      duration: Math.max(0, Number(raw.duration_ms) || 0),
    };
  };

  // A link only when the URL passed the allow-list.
  const node = (className, text, url) => {
    const element = document.createElement(url ? "a" : "span");
    element.className = className;
    if (text) element.textContent = text;
    if (url) Object.assign(element, { href: url, target: "_blank", rel: "noopener noreferrer" });
    return element;
  };

  class SpotifyNowPlaying extends HTMLElement {
    connectedCallback() {
      this._safely(() => this._start());
    }

    disconnectedCallback() {
      this._safely(() => this._stop());
      // Material's instant navigation swapped our placement target: follow into the new one.
      queueMicrotask(() => this.isConnected || document.querySelector(NAME) || this._place());
    }

    // placement="<selector>": move in there (connecting us again).
    _place() {
      try {
        const target = document.querySelector(this.getAttribute("placement"));
        return target && !target.contains(this) && !target.append(this);
      } catch (error) {
        return false; /* bad selector: stay */
      }
    }

    _safely(work) {
      try {
        work();
      } catch (error) {
        /* decoration must never break the page */
      }
    }

    _start() {
      this._stop();
      if (this._place()) return;
      this._config = this._readConfig();
      if (!this._config.endpoint) return;
      this._life = new AbortController();
      this._failures = 0;
      const onVisibility = () => this._safely(() => (document.hidden ? this._pause() : this._fetch()));
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
      const choice = (name, options) => (options.includes(value(name)) ? value(name) : options[0]);
      const seconds = (name, fallback) => {
        const parsed = Number(value(name));
        return (parsed >= 1 && parsed <= 86400 ? parsed : fallback) * 1000;
      };
      const labels = {};
      for (const key in LABELS) labels[key] = value(`label-${key}`) || LABELS[key];
      const base = (value("proxy-url") || "").trim().replace(/\/+$/, "");
      const endpoint = base && parse(`${base}/v1/now-playing`, document.baseURI);
      const min = seconds("min-interval", 5);
      return {
        endpoint: endpoint && /^https?:$/.test(endpoint.protocol) ? endpoint.href : null,
        idle: choice("idle", ["last", "message", "hide"]),
        art: value("art") !== "off",
        progress: value("progress") !== "off",
        min,
        max: Math.max(min, seconds("max-interval", 60)),
        labels,
      };
    }

    _schedule(delay) {
      clearTimeout(this._timer);
      if (!document.hidden) this._timer = setTimeout(() => this._safely(() => this._fetch()), delay);
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
          if (!response.ok) throw new Error(`proxy answered ${response.status}`);
          return response.json();
        })
        .finally(() => {
          clearTimeout(timeout);
          if (this._request === request) this._request = null;
        })
        .then((data) => live() && this._receive(data))
        .catch(() => live() && this._safely(() => this._failed()));
    }

    _failed() {
      const config = this._config;
      const ceiling = Math.min(300000, config.min * 2 ** ++this._failures);
      // Jitter: a proxy coming back is not hit by every visitor at once.
      this._schedule(ceiling / 2 + (Math.random() * ceiling) / 2);
      clearInterval(this._ticker);
      // Unknown whether it still plays: freeze the last known position.
      if (this._position) this._position = { at: 0, ms: this._elapsed(), running: false };
      const view = this._view;
      if (view && view.state !== "hidden") {
        this._render({ ...view, state: "offline", label: config.labels.offline });
      }
    }

    _receive(data) {
      const config = this._config;
      const status = ["playing", "paused"].includes(data.status) ? data.status : "idle";
      const current = readItem(data.item);
      const last = readItem(data.last_played);
      let view = { state: config.idle === "hide" ? "hidden" : "idle", item: null };
      if (current && status !== "idle") view = { state: status, item: current };
      else if (config.idle === "last" && last) view = { state: "last", item: last };
      view.label = config.labels[view.state] || config.labels.idle;
      this._failures = 0;

      this._position = null;
      if (current && view.item === current && typeof data.progress_ms === "number") {
        // fetched_at ages a cached answer; ignored when the clocks disagree.
        let age = Date.now() - data.fetched_at;
        if (!(age >= 0 && age <= config.max)) age = 0;
        const running = status === "playing";
        this._position = { at: performance.now(), ms: data.progress_ms + (running ? age : 0), running };
      }

      let delay = config.max;
      if (view.state === "playing") {
        // Just after the track ends; at least every half heartbeat to notice skips.
        const left = current.duration - this._elapsed() + 1000;
        delay = clamp(left, config.min, Math.max(config.min, config.max / 2));
      }
      this._schedule(delay);
      this._render(view);
      clearInterval(this._ticker);
      if (view.state === "playing" && this._bar) {
        this._ticker = setInterval(() => this._safely(() => this._paint()), 1000);
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
        // Replaces any fallback content.
        this.replaceChildren(this._box, this._live);
      }
      if (key !== this._key) {
        const names = item ? item.artists.map((artist) => artist.name).join(", ") : "";
        // Announce track changes only, not the first paint or progress.
        if (this._key && item) this._live.textContent = `${label}: ${item.title} (${names})`;
        this._key = key;
        this._build(item, names);
      }
      this._label.textContent = label;
      this._paint();
    }

    _build(item, names) {
      const config = this._config;
      const parts = [];
      this._bar = null;
      if (item && config.art) {
        const album = item.album || { name: item.title, url: item.url };
        const art = node("snp-art", "", album.url);
        art.title = album.name;
        if (item.image) {
          const image = document.createElement("img");
          Object.assign(image, { src: item.image, alt: album.name, referrerPolicy: "no-referrer" });
          art.append(image);
        }
        parts.push(art);
      }

      const text = node("snp-text");
      this._label = node("snp-label");
      text.append(this._label);
      if (item) {
        const title = node("snp-title", item.title, item.url);
        title.title = item.title;
        const by = node("snp-by");
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
      parts.push(text);

      const logo = node("snp-logo", "", (item && item.url) || "https://open.spotify.com/");
      logo.setAttribute("aria-label", config.labels.open);
      const svg = document.createElementNS(SVG, "svg");
      const path = document.createElementNS(SVG, "path");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("aria-hidden", "true");
      path.setAttribute("d", LOGO);
      svg.append(path);
      logo.append(svg);
      this._box.replaceChildren(...parts, logo);
    }

    _paint() {
      if (!this._bar) return;
      const duration = this._view.item.duration;
      const elapsed = clamp(this._elapsed(), 0, duration);
      // CSSOM, unlike style="", passes a strict style-src.
      this._fill.style.transform = `scaleX(${elapsed / duration})`;
      this._bar.setAttribute("aria-label", this._view.label);
      this._bar.setAttribute("aria-valuenow", Math.round((100 * elapsed) / duration));
    }
  }

  customElements.define(NAME, SpotifyNowPlaying);
})();
