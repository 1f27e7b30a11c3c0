/**
 * The analysts' saved operations: GraphiQL opens with one tab each, and the dashboard draws its
 * charts from two of them, so what an analyst can try by hand is what the charts show. Every one
 * reads aggregates only; a test runs each against the live graph as an analyst.
 */
import { addDays } from '../../subgraphs/kit/days.js';

export interface SavedOperation {
  /** The operation's name in its document, also the GraphiQL tab's title. */
  name: string;
  query: string;
  /** Variables for a day (China date, YYYY-MM-DD): figures look back from it. */
  variables?: (today: string) => Record<string, unknown>;
}

/** How far the verification trends look back, the day itself included. */
export const TREND_DAYS = 30;

export const RECOGNITION_MATRIX: SavedOperation = {
  name: 'RecognitionMatrix',
  query: `# Where credentials are accepted today: one cell per accepting region, issuing province,
# scenario and credential type that a recognition rule in force accepts (public).
# 互认矩阵：今天哪些地区、哪些场景接受哪些省份签发的哪类证照。
query RecognitionMatrix($scenario: ID) {
  recognitionMatrix(scenario: $scenario) {
    acceptingRegion { code nameZh }
    issuingRegion { code nameZh }
    issuingProvince
    scenario { code nameZh }
    credentialType { code nameZh }
    ruleId
    ruleVersion
    national
  }
}
`,
};

export const VERIFICATION_TRENDS: SavedOperation = {
  name: 'VerificationTrends',
  query: `# Verifications by day, scenario, verdict, accepting and issuing region (China dates).
# Cells counting fewer than the minimum are suppressed (count null).
# 核验量：按日期、场景、结果、核验地区与签发地区统计；小于阈值的单元格不显示。
query VerificationTrends($from: String!, $to: String!, $scenario: ID) {
  verificationFigures(from: $from, to: $to, scenario: $scenario) {
    day
    scenario { code nameZh }
    verdict
    acceptingRegion { code nameZh }
    issuingRegion { code nameZh }
    count
    suppressed
  }
}
`,
  variables: (today) => ({ from: addDays(today, -(TREND_DAYS - 1)), to: today }),
};

export const analystOperations: SavedOperation[] = [
  {
    name: 'CredentialFigures',
    query: `# Credentials by region, type, status (as of now) and month of issue, counted by each
# region's registry. 电子证照数量：按地区、类型、状态和签发月份。
query CredentialFigures($issuedFrom: String, $issuedUntil: String) {
  regions {
    code
    nameZh
    credentialCount
    credentialFigures(issuedFrom: $issuedFrom, issuedUntil: $issuedUntil) {
      typeCode
      status
      issueMonth
      count
      suppressed
    }
  }
}
`,
    variables: (today) => ({ issuedFrom: `${Number(today.slice(0, 4)) - 5}-01`, issuedUntil: today.slice(0, 7) }),
  },
  VERIFICATION_TRENDS,
  RECOGNITION_MATRIX,
  {
    name: 'DisputeFigures',
    query: `# Disputes (异议) by region, month filed and status, with the mean hours to resolve.
query DisputeFigures {
  regions {
    code
    nameZh
    disputeFigures { filedMonth status count meanHoursToResolve suppressed }
  }
}
`,
  },
  {
    name: 'UsageRelayBacklog',
    query: `# Usage records waiting to reach each issuing registry (kept and delivered later).
# 待送达签发地的用证记录。
query UsageRelayBacklog {
  usageRelayBacklog {
    issuingRegion { code nameZh }
    pending
    oldestQueuedAt
    nextAttemptAt
  }
}
`,
  },
];
