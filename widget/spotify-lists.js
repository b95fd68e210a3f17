/* <spotify-recently-played>, <spotify-top-tracks>, <spotify-top-artists>: a numbered list from
   the proxy, refreshed live. Never trusts the JSON, never throws into the page; a list the build
   put inside the element stays until a good answer replaces it. */
(() => {
  const KINDS = {
    "spotify-recently-played": ["recently-played", "Recently played", 60],
    "spotify-top-tracks": ["top/tracks", "Top tracks", 900],
    "spotify-top-artists": ["top/artists", "Top artists", 900],
  };
  const RANGES = { short_term: "last 4 weeks", medium_term: "last 6 months", long_term: "all time" };
  const UNITS = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const LOGO =
    "M12 0a12 12 0 0 0 0 24 12 12 0 0 0 0-24zm5.5 17.3c-.2.4-.7.5-1 .3-2.8-1.7-6.4-2.1-10.6-1.1-.4.1-.8-.2-.9-.6-.1-.4.2-.8.6-.9 4.6-1 8.6-.6 11.7 1.3.3.2.4.7.2 1zm1.5-3.3c-.3.4-.8.6-1.3.3-3.2-2-8.1-2.6-11.9-1.4-.5.1-1-.1-1.2-.6-.1-.5.1-1 .6-1.2 4.4-1.3 9.8-.7 13.5 1.6.5.3.6.9.3 1.3zm.1-3.4C15.2 8.4 8.7 8.2 5 9.3c-.6.2-1.2-.2-1.4-.7-.2-.6.2-1.2.7-1.4 4.3-1.3 11.5-1 16 1.6.5.3.7 1 .4 1.5-.3.5-1 .7-1.6.4z";

  const safely = (work) => {
    try {
      work();
    } catch {}
  };
  // Check the parsed href: what the browser will use.
  const allowed = (pattern) => (value, base) => {
    try {
      const url = new URL(value, base);
      return pattern.test(url.href) ? url.href : null;
    } catch {
      return null;
    }
  };
  const spotifyLink = allowed(/^https:\/\/open\.spotify\.com\//);
  const imageLink = allowed(/^https:\/\/([\w-]+\.)*(scdn\.co|spotifycdn\.com)\//);
  const webLink = allowed(/^https?:/);
  const text = (value) => (typeof value === "string" ? value : "");

  const node = (tag, className, content, url) => {
    const element = document.createElement(url ? "a" : tag);
    element.className = className;
    if (content) element.textContent = content;
    if (url) Object.assign(element, { href: url, target: "_blank", rel: "noopener noreferrer" });
    return element;
  };

  class SpotifyList extends HTMLElement {
    connectedCallback() {
      safely(() => this._start());
    }

    disconnectedCallback() {
      safely(() => this._stop());
    }

    _stop() {
      clearTimeout(this._timer);
      clearInterval(this._ticker);
      if (this._life) this._life.abort();
      this._life = null;
    }

    _start() {
      this._stop();
      const [path, heading, every] = KINDS[this.localName];
      const value = (name) => this.getAttribute(name);
      const limit = /^[1-9]\d?$/.test(value("limit")) && value("limit") <= 50 ? value("limit") : 10;
      const range = value("range") in RANGES ? value("range") : "short_term";
      const base = text(value("proxy-url")).trim().replace(/\/+$/, "");
      const query = path[0] === "t" ? `range=${range}&limit=${limit}` : `limit=${limit}`;
      this._endpoint = base && webLink(`${base}/v1/${path}?${query}`, document.baseURI);
      this._every = every * 1000;
      const rangeKey = `label-${range.replace("_", "-")}`;
      this._labels = {
        heading: value("label") || heading,
        range: path[0] === "t" ? value(rangeKey) || RANGES[range] : "",
        empty: value("label-empty") || "Nothing to show yet.",
        open: value("label-open") || "Listen on Spotify",
      };
      this._life = new AbortController();
      const onVisibility = () => safely(() => document.hidden || this._fetch());
      document.addEventListener("visibilitychange", onVisibility, { signal: this._life.signal });
      // Relative times move on as time passes, also for a list the build put in the page.
      this._ticker = setInterval(() => safely(() => this._times()), 30000);
      this._times();
      if (this._endpoint && !document.hidden) this._fetch();
    }

    _fetch() {
      clearTimeout(this._timer);
      const life = this._life;
      if (!life || this._busy) return;
      this._busy = true;
      const request = AbortSignal.any([life.signal, AbortSignal.timeout(10000)]);
      fetch(this._endpoint, { signal: request, credentials: "omit" })
        .then((response) => {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then((data) => life === this._life && this._render(data))
        .catch(() => {})
        .finally(() => {
          this._busy = false;
          if (life === this._life && !document.hidden) {
            this._timer = setTimeout(() => safely(() => this._fetch()), this._every);
          }
        });
    }

    _render(data) {
      const items = Array.isArray(data?.items) ? data.items : null;
      if (!items) return;
      const labels = this._labels;
      const box = node("div", "spl");
      const head = node("p", "spl-head");
      head.append(node("span", "spl-heading", labels.heading));
      if (labels.range) head.append(" ", node("span", "spl-range", labels.range));
      const logo = node("a", "spl-logo", "", "https://open.spotify.com/");
      logo.setAttribute("aria-label", labels.open);
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("aria-hidden", "true");
      path.setAttribute("d", LOGO);
      svg.append(path);
      logo.append(svg);
      head.append(logo);
      const list = node("ol", "spl-list");
      // Screen readers announce "Top tracks last 4 weeks, list, 10 items".
      list.setAttribute("aria-label", `${labels.heading} ${labels.range}`.trim());
      for (const raw of items) safely(() => list.append(this._entry(raw)));
      box.append(head, list.children.length ? list : node("p", "spl-empty", labels.empty));
      this.replaceChildren(box);
      this._times();
    }

    _entry(raw) {
      const name = text(raw.title || raw.name);
      if (!name) throw 0;
      const local = raw.is_local === true;
      const link = (url) => (local ? null : spotifyLink(url));
      const entry = node("li", "spl-item");
      const albumName = text(raw.album?.name) || name;
      const art = node("span", "spl-art", "", link(raw.album ? raw.album.url : raw.url));
      const src = local ? null : imageLink(raw.image?.url);
      if (src) {
        const image = Object.assign(new Image(64, 64), {
          src,
          alt: albumName,
          loading: "lazy",
          referrerPolicy: "no-referrer",
        });
        art.append(image);
      }
      art.title = albumName;
      const words = node("span", "spl-text");
      words.append(node("span", "spl-name", name, link(raw.url)));
      if (Array.isArray(raw.artists)) {
        const by = node("span", "spl-by");
        raw.artists.forEach((artist, i) => {
          by.append(i ? ", " : "", node("span", "", text(artist?.name), link(artist?.url)));
        });
        words.append(by);
      }
      entry.append(art, words);
      if (Number.isFinite(raw.played_at)) {
        const when = node("time", "spl-when");
        when.dateTime = new Date(raw.played_at).toISOString();
        entry.append(when);
      }
      return entry;
    }

    _times() {
      const lang = document.documentElement.lang || undefined;
      const relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
      for (const when of this.querySelectorAll("time.spl-when")) {
        const at = Date.parse(when.dateTime);
        if (!at) continue;
        const seconds = (at - Date.now()) / 1000;
        const [unit, size] = UNITS.find(([, size]) => Math.abs(seconds) >= size) || UNITS[3];
        when.textContent = relative.format(Math.round(seconds / size), unit);
        when.title = new Date(at).toLocaleString(lang);
      }
    }
  }

  for (const name in KINDS) {
    if (window.customElements && !customElements.get(name)) {
      customElements.define(name, class extends SpotifyList {});
    }
  }
})();
