// Runs in the browser (bundled by pusher-follow-page.ts): a page following a room with pusher-js.
import PusherModule from 'pusher-js';

// pusher-js's module.exports is the class; its typings describe an ES module (see pusher-js-client.ts).
const Pusher = PusherModule as unknown as typeof PusherModule.default;

interface Chat {
  id: number;
  text: string;
  from: { name: string; role: string };
}

const q = new URLSearchParams(location.search);
const room = q.get('room')!;
const pusher = new Pusher(q.get('key')!, {
  cluster: '',
  wsHost: location.hostname,
  wsPort: Number(q.get('wsPort')),
  forceTLS: false,
  enabledTransports: ['ws'],
  channelAuthorization: { endpoint: '/pusher/auth', transport: 'ajax', params: { name: q.get('name') ?? '' } },
});
const list = document.getElementById('follow')!;
const channel = pusher.subscribe(`room.${room}`);
channel.bind('state', () => {
  document.body.dataset.state = 'following';
});
channel.bind('chat', (m: Chat) => {
  const li = document.createElement('li');
  li.dataset.id = String(m.id);
  li.dataset.role = m.from.role;
  li.textContent = `${m.from.name}: ${m.text}`;
  list.append(li);
});
const presence = pusher.subscribe(`presence-room.${room}`) as unknown as { members: { count: number }; bind(e: string, cb: () => void): void };
const count = () => (document.getElementById('members')!.textContent = String(presence.members.count));
for (const e of ['pusher:subscription_succeeded', 'pusher:member_added', 'pusher:member_removed']) presence.bind(e, count);
