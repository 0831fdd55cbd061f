// Entry point of every forked backend: MessageProcess.start() forks this file, then sends it an init message
// naming the user's module and class. Kept tiny on purpose: all the logic is in BackendHost.

import { BackendHost } from './backend_host.js';

new BackendHost().listen();
