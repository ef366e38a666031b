/** Bundle entry: start the app on the board described by the Espruino globals. */
import { appFactory } from './app.ts';
import { boardFactory } from './board.ts';
import { mpuFactory } from './sensors/mpu6050.ts';

(appFactory.start as NonNullable<typeof appFactory.start>)((boardFactory.espruino as NonNullable<typeof boardFactory.espruino>)());
// Drop the factories: their source text would otherwise stay in the JS variable store.
appFactory.start = null;
boardFactory.espruino = null;
mpuFactory.make = null;
