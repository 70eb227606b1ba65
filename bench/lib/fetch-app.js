/**
 * The application of the fetch benchmark: one Hono app, the same code on both servers. `/` is
 * the hello-world route the figures are about; `/json/:id` is there to prove routing and JSON
 * work before anything is timed.
 */
import { Hono } from 'hono';

export const HELLO = 'Hello, World!';

export function helloApp() {
  const app = new Hono();
  app.get('/', (c) => c.text(HELLO));
  app.get('/json/:id', (c) => c.json({ id: c.req.param('id') }));
  return app;
}
