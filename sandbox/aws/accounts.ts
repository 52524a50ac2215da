/** The account calls act in when their keys were not issued by STS: Lifeboat's own. */
export const TOOLING_ACCOUNT = '000000000000';
