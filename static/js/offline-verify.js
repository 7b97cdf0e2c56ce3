// The offline verifier (/verify/scan/): reads a OneWindow signed code ("OW1:" + Base45(zlib(COSE_Sign1)))
// from a picture, the camera or pasted text, and checks it against the trust list this page last
// fetched, with no network. The steps and their order are those of signing/qr_payload.py's verify(),
// which the command line uses; a change to one is a change to both.
(function () {
  "use strict";
  var root = document.querySelector("[data-offline-verifier]");
  if (!root) return;
  var T = JSON.parse(document.getElementById("scan-messages").textContent);
  var URLS = JSON.parse(document.getElementById("scan-urls").textContent);
  var STORE = "onewindow-trust-list";
  var PREFIX = "OW1:";
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  var MAX_DECOMPRESSED = 8192;
  var ISSUER = 1, EXPIRES = 4, ISSUED_AT = 6, DOCUMENT = -70001, ALG = 1, KID = 4, ES256 = -7;
  var FIELDS = { k: "kind", n: "number", h: "holder", c: "credit_code", m: "matter", f: "valid_from",
                 u: "valid_until", a: "authority", s: "sha256" };
  var decoder = new CBOR.Decoder({ mapsAsObjects: false, useRecords: false });
  var encoder = new CBOR.Encoder({ tagUint8Array: false, useRecords: false });

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  // --- decoding ----------------------------------------------------------------------------------

  function base45Decode(text) { // RFC 9285
    var out = [];
    for (var i = 0; i < text.length; i += 3) {
      var chunk = text.slice(i, i + 3), values = [];
      for (var j = 0; j < chunk.length; j++) {
        var value = ALPHABET.indexOf(chunk[j]);
        if (value < 0) throw new Error("not Base45");
        values.push(value);
      }
      if (values.length < 2) throw new Error("not Base45");
      var n = values[0] + values[1] * 45 + (values.length === 3 ? values[2] * 2025 : 0);
      if (values.length === 3) {
        if (n > 0xffff) throw new Error("not Base45");
        out.push(n >> 8, n & 0xff);
      } else {
        if (n > 0xff) throw new Error("not Base45");
        out.push(n);
      }
    }
    return new Uint8Array(out);
  }

  async function inflate(bytes) { // zlib, never more than MAX_DECOMPRESSED bytes (a bomb stops here)
    var reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
    var chunks = [], total = 0;
    for (;;) {
      var step = await reader.read();
      if (step.done) break;
      total += step.value.length;
      if (total > MAX_DECOMPRESSED) { reader.cancel(); throw new Error("too large"); }
      chunks.push(step.value);
    }
    var out = new Uint8Array(total), at = 0;
    chunks.forEach(function (chunk) { out.set(chunk, at); at += chunk.length; });
    return out;
  }

  function unb64(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function asBytes(value) {
    if (!(value instanceof Uint8Array)) throw new Error("not a byte string");
    return new Uint8Array(value);
  }

  async function decodeUnverified(text) {
    text = text.trim();
    if (text.indexOf(PREFIX) !== 0) throw new Error("not a OneWindow signed code");
    var message = decoder.decode(await inflate(base45Decode(text.slice(PREFIX.length))));
    if (message instanceof CBOR.Tag) {
      if (message.tag !== 18) throw new Error("not COSE_Sign1");
      message = message.value;
    }
    if (!Array.isArray(message) || message.length !== 4) throw new Error("not COSE_Sign1");
    var protectedBytes = asBytes(message[0]);
    var header = protectedBytes.length ? decoder.decode(protectedBytes) : new Map();
    var unprotected = message[1] instanceof Map ? message[1] : new Map();
    var kid = header.get(KID) || unprotected.get(KID);
    return { protectedBytes: protectedBytes, alg: header.get(ALG), kid: hex(asBytes(kid)),
             payload: asBytes(message[2]), signature: asBytes(message[3]) };
  }

  function claimsFrom(payload) {
    var claims = decoder.decode(payload);
    var document = claims.get(DOCUMENT), out = {};
    Object.keys(FIELDS).forEach(function (short) {
      if (document.has(short)) {
        var value = document.get(short);
        out[FIELDS[short]] = FIELDS[short] === "sha256" ? hex(asBytes(value)) : String(value);
      }
    });
    out.issuer = String(claims.get(ISSUER) || "");
    out.issued_at = Number(claims.get(ISSUED_AT) || 0);
    out.expires = claims.has(EXPIRES) ? Number(claims.get(EXPIRES)) : null;
    return out;
  }

  function verifyEs256(spki, signature, data) {
    return crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])
      .then(function (key) { return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, data); });
  }

  // --- verifying: as qr_payload.verify -----------------------------------------------------------

  async function verify(text, list, now) {
    var message;
    try { message = await decodeUnverified(text); } catch (error) { return { verdict: "unreadable" }; }
    var signer = list.signers[message.kid];
    if (!signer || signer.status === "revoked") return { verdict: "unknown_key", kid: message.kid };
    if (message.alg !== ES256) return { verdict: "tampered", signer: signer, kid: message.kid };
    var structure = encoder.encode(["Signature1", message.protectedBytes, new Uint8Array(0), message.payload]);
    var genuine = false;
    try { genuine = await verifyEs256(unb64(signer.spki), message.signature, structure); } catch (error) { genuine = false; }
    if (!genuine) return { verdict: "tampered", signer: signer, kid: message.kid };
    var claims;
    try { claims = claimsFrom(message.payload); } catch (error) { return { verdict: "unreadable", signer: signer }; }
    var result = { claims: claims, signer: signer, kid: message.kid };
    if (claims.issuer !== signer.authority_code) return Object.assign(result, { verdict: "tampered" });
    var signedAt = claims.issued_at * 1000;
    if (signedAt < Date.parse(signer.not_before) || signedAt > Date.parse(signer.not_after)) {
      return Object.assign(result, { verdict: "signer_expired" });
    }
    if (claims.expires !== null && now / 1000 > claims.expires) return Object.assign(result, { verdict: "code_expired" });
    var listed = list.documents[claims.number];
    if (listed && (listed.status === "revoked" || listed.status === "suspended")) {
      return Object.assign(result, { verdict: listed.status, since: listed.since });
    }
    var today = new Date(now).toISOString().slice(0, 10);
    if (claims.valid_until && claims.valid_until < today) return Object.assign(result, { verdict: "expired" });
    return Object.assign(result, { verdict: "valid" });
  }

  // --- the trust list ----------------------------------------------------------------------------

  // The list as this site served it; its signature must be by the platform's own key, which the list
  // names (the command line also checks that key's chain to the pinned root).
  async function openList(signed) {
    var content = JSON.parse(new TextDecoder().decode(unb64(signed.payload)));
    if (content.format !== "onewindow-trust-list/1") throw new Error("not a trust list");
    var kid = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", unb64(signed.certificate))).slice(0, 8));
    var signers = {}, documents = {};
    content.signers.forEach(function (row) { signers[row.kid] = row; });
    content.documents.forEach(function (row) { documents[row.number] = row; });
    var own = signers[kid];
    var platform = root.getAttribute("data-platform");
    if (!own || (platform && own.authority_code !== platform)) throw new Error("not signed by the platform");
    if (!(await verifyEs256(unb64(own.spki), unb64(signed.signature), unb64(signed.payload)))) {
      throw new Error("bad signature");
    }
    return { signers: signers, documents: documents, made_at: content.made_at, next_due: content.next_due };
  }

  function age(ms) {
    var minutes = Math.max(0, Math.round(ms / 60000));
    if (minutes < 120) return format(T.minutes, { n: minutes });
    if (minutes < 2880) return format(T.hours, { n: Math.round(minutes / 60) });
    return format(T.days, { n: Math.round(minutes / 1440) });
  }

  var listStatus = root.querySelector("[data-list-status]");
  var trust = null;

  function showList(list) {
    var now = Date.now();
    var line = format(T.list_age, { age: age(now - Date.parse(list.made_at)),
                                    made: new Date(list.made_at).toLocaleString() });
    if (now > Date.parse(list.next_due)) line += " " + T.list_overdue;
    listStatus.textContent = line;
    listStatus.classList.toggle("text-danger", now > Date.parse(list.next_due));
    root.setAttribute("data-list-made", list.made_at);
  }

  async function loadList() {
    var signed = null;
    try {
      // Revalidated: a list cached by the browser for minutes would hide a revocation made since.
      var response = await fetch(URLS.trust_list, { credentials: "omit", cache: "no-cache" });
      if (response.ok) {
        signed = await response.json();
        localStorage.setItem(STORE, JSON.stringify(signed));
      }
    } catch (error) { /* offline, and no service worker copy: the stored copy below */ }
    if (!signed) {
      var stored = localStorage.getItem(STORE);
      signed = stored ? JSON.parse(stored) : null;
    }
    if (!signed) { listStatus.textContent = T.no_list; return; }
    try {
      trust = await openList(signed);
      showList(trust);
    } catch (error) {
      trust = null;
      listStatus.textContent = T.list_bad;
      listStatus.classList.add("text-danger");
    }
  }

  // --- showing a result ---------------------------------------------------------------------------

  var resultBox = root.querySelector("[data-scan-result]");

  function show(result) {
    var heading = resultBox.querySelector("[data-verdict]");
    var detail = resultBox.querySelector("[data-verdict-detail]");
    var claims = result.claims || {};
    heading.textContent = T[result.verdict] || result.verdict;
    resultBox.setAttribute("data-verdict-value", result.verdict);
    var neutral = ["reading", "link_only", "no_code", "no_list", "camera_unavailable"];
    resultBox.className = "scan-result scan-result--" + (result.verdict === "valid" ? "good" :
      (neutral.indexOf(result.verdict) >= 0 ? "neutral" : "bad"));
    var notes = [];
    if (result.since) notes.push(format(T.since, { date: result.since.slice(0, 10) }));
    if (result.claims && !claims.sha256) notes.push(T.no_digest);
    detail.textContent = notes.join(" ");
    var values = {
      kind: claims.kind ? (T["kind_" + claims.kind] || claims.kind) : "",
      number: claims.number, holder: claims.holder, credit_code: claims.credit_code, matter: claims.matter,
      valid_from: claims.valid_from, valid_until: claims.valid_until,
      authority: result.signer ? result.signer.authority + (claims.authority && claims.authority !== result.signer.authority
        ? " (" + claims.authority + ")" : "") : claims.authority,
      issued_at: claims.issued_at ? new Date(claims.issued_at * 1000).toLocaleString() : "",
      expires: claims.expires ? new Date(claims.expires * 1000).toLocaleString() : "",
      sha256: claims.sha256, kid: result.kid
    };
    resultBox.querySelectorAll("[data-claim]").forEach(function (cell) {
      var value = values[cell.getAttribute("data-claim")];
      cell.textContent = value || "";
      cell.hidden = !value;
      cell.previousElementSibling.hidden = !value;
    });
    resultBox.querySelector("[data-claims]").hidden = !result.claims && !result.kid;
    resultBox.hidden = false;
    heading.focus();
  }

  async function check(text) {
    if (!trust) await loadList();
    if (!trust) { show({ verdict: "no_list" }); return; }
    show(await verify(text, trust, Date.now()));
  }

  // --- reading codes ------------------------------------------------------------------------------

  ZXingWASM.prepareZXingModule({
    overrides: { locateFile: function (path, prefix) { return path.endsWith(".wasm") ? URLS.wasm : prefix + path; } }
  });
  var READ = { formats: ["QRCode"], maxNumberOfSymbols: 8, tryHarder: true };

  async function checkSymbols(results) {
    var texts = results.filter(function (r) { return r.isValid; }).map(function (r) { return r.text; });
    var signed = texts.filter(function (t) { return t.indexOf(PREFIX) === 0; });
    if (signed.length) { await check(signed[0]); return true; }
    if (texts.length) { show({ verdict: "link_only" }); return false; }
    return false;
  }

  root.querySelector("[data-scan-file]").addEventListener("change", async function (event) {
    var file = event.target.files[0];
    if (!file) return;
    event.target.value = ""; // the same picture may be read again (after the list changed)
    show({ verdict: "reading" });
    var found = await checkSymbols(await ZXingWASM.readBarcodes(file, READ));
    if (!found && resultBox.getAttribute("data-verdict-value") === "reading") show({ verdict: "no_code" });
  });

  root.querySelector("[data-scan-text-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    check(root.querySelector("[data-scan-text]").value);
  });

  var cameraButton = root.querySelector("[data-scan-camera]");
  var video = root.querySelector("[data-scan-video]");
  var stream = null;

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    cameraButton.textContent = T.camera_start;
  }

  cameraButton.addEventListener("click", async function () {
    if (stream) { stopCamera(); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { show({ verdict: "camera_unavailable" }); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) { show({ verdict: "camera_unavailable" }); return; }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    cameraButton.textContent = T.camera_stop;
    var canvas = document.createElement("canvas"), context = canvas.getContext("2d", { willReadFrequently: true });
    (async function frame() {
      if (!stream) return;
      if (video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        var results = await ZXingWASM.readBarcodes(context.getImageData(0, 0, canvas.width, canvas.height), READ);
        if (await checkSymbols(results)) { stopCamera(); return; }
      }
      window.setTimeout(frame, 300);
    })();
  });

  // --- offline use --------------------------------------------------------------------------------

  // The worker is registered once the page's own list has arrived, so its first downloads do not
  // compete with the page's.
  var offlineStatus = root.querySelector("[data-offline-status]");
  function keepForOffline() {
    if (!("serviceWorker" in navigator)) {
      offlineStatus.textContent = T.offline_unsupported;
      return;
    }
    navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: URLS.page })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { offlineStatus.textContent = T.offline_ready; root.setAttribute("data-offline-ready", ""); })
      .catch(function () { offlineStatus.textContent = T.offline_unsupported; });
  }
  window.addEventListener("online", loadList);
  loadList().then(keepForOffline, keepForOffline);
  window.OneWindowOffline = { base45Decode: base45Decode, verify: verify, openList: openList }; // for tests
})();
