/** Bundle entry: start the app on the board described by the Espruino globals. */
import { startApp } from './app.ts';
import { espruinoBoard } from './board.ts';

startApp(espruinoBoard());
