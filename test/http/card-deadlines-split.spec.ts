import { cardDeadlineSuite } from './card-deadlines';

cardDeadlineSuite('split');
