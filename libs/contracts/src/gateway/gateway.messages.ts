import { Text } from '../text';

/**
 * The card network was told "declined" because the bank did not answer in time: whatever cards decided, or
 * is still deciding, must come to nothing. Stored before the network hears the answer.
 */
export class AuthorisationAbandonedV1 {
  @Text(1, 100) networkTransactionId!: string;
}
