import { cardDeadlineSuite } from './card-deadlines';

cardDeadlineSuite('hybrid');
