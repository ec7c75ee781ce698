/**
 * Receiver snippets the event catalog offers to copy: a few lines that verify the signature of a
 * webhook before trusting it, in the languages platform customers use most. Every snippet reads
 * the raw body (a re-serialised JSON object would not match the signature).
 */

export const SNIPPET_LANGUAGES = ['node-herald', 'node-standardwebhooks', 'python'] as const;
export type SnippetLanguage = (typeof SNIPPET_LANGUAGES)[number];

export const SNIPPET_LABELS: Record<SnippetLanguage, string> = {
  'node-herald': 'Node.js (Express + @herald/verify)',
  'node-standardwebhooks': 'Node.js (standardwebhooks)',
  python: 'Python (Flask + standardwebhooks)',
};

/** A receiver for `eventType` in `language`, with the secret read from `WEBHOOK_SECRET`. */
export function receiverSnippet(language: SnippetLanguage, eventType: string): string {
  switch (language) {
    case 'node-herald':
      return `// npm install express /path/to/herald-verify-0.1.0.tgz   (from \`npm pack -w @herald/verify\` in a Herald checkout)
import express from 'express';
import { verifyWebhook } from '@herald/verify/express';

const app = express();
// Answers 400/401 by itself when the signature or timestamp is wrong.
app.post('/webhooks', verifyWebhook(process.env.WEBHOOK_SECRET), (req, res) => {
  const event = req.webhook; // the verified payload: for ${eventType}, shaped as its schema says
  console.log('webhook', req.headers['webhook-id'], event);
  res.sendStatus(204);
});
app.listen(3000);
`;
    case 'node-standardwebhooks':
      return `// npm install standardwebhooks
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const wh = new Webhook(process.env.WEBHOOK_SECRET.replace(/^whsec_/, ''));

createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString('utf8');
  let event;
  try {
    event = wh.verify(body, req.headers); // throws on a bad signature or an old timestamp
  } catch {
    res.writeHead(401).end();
    return;
  }
  // \`event\` is the verified payload: for ${eventType}, shaped as its schema says.
  // Use the webhook-id header to ignore a message you have already handled (retries repeat it).
  console.log('webhook', req.headers['webhook-id'], event);
  res.writeHead(204).end();
}).listen(3000);
`;
    case 'python':
      return `# pip install flask standardwebhooks
import os
from flask import Flask, request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

app = Flask(__name__)
wh = Webhook(os.environ["WEBHOOK_SECRET"].removeprefix("whsec_"))

@app.post("/webhooks")
def webhooks():
    try:
        event = wh.verify(request.get_data(), dict(request.headers))
    except WebhookVerificationError:
        return "", 401
    # \`event\` is the verified payload: for ${eventType}, shaped as its schema says.
    print("webhook", request.headers.get("webhook-id"), event)
    return "", 204
`;
  }
}
