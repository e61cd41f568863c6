package dev.unixsocket.launcher;

import com.hazelcast.cluster.InitialMembershipEvent;
import com.hazelcast.cluster.InitialMembershipListener;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.stream.Collectors;

/** Logs the cluster's members when this node joins, and every member that joins or leaves after. */
final class MembershipLog implements InitialMembershipListener {

  private static final Logger log = LoggerFactory.getLogger(MembershipLog.class);

  private final String cluster;

  MembershipLog(String cluster) {
    this.cluster = cluster;
  }

  @Override
  public void init(InitialMembershipEvent event) {
    log.info("cluster {}: joined; members: {}", cluster, describe(event.getMembers()));
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    if (event.getMember().localMember()) {
      return; // init said so already
    }
    log.info("cluster {}: member joined: {}; members now: {}", cluster, describe(event.getMember()), describe(event.getMembers()));
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    log.info("cluster {}: member left: {}; members now: {}", cluster, describe(event.getMember()), describe(event.getMembers()));
  }

  private static String describe(Set<Member> members) {
    return members.stream().map(MembershipLog::describe).collect(Collectors.joining(", ", "[", "]"));
  }

  private static String describe(Member member) {
    String address = member.getAddress().getHost() + ":" + member.getAddress().getPort();
    return member.localMember() ? address + " (this node)" : address;
  }
}
