/** Reading the admin API's live stream in tests. */

export interface StreamEvent { readonly name: string; readonly data: any } // eslint-disable-line @typescript-eslint/no-explicit-any -- checked field by field

/** Reads `GET /v1/stream` as the page does (fetch + bearer header), collecting its events until `close()`. */
export async function openStream(url: string, token: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/stream`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const events: StreamEvent[] = [];
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (name && data) events.push({ name, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { response, events, ended, close: () => controller.abort() };
}
