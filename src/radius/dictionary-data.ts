/**
 * Text of the built-in dictionary, in FreeRADIUS dictionary format, written for this project
 * from the RFCs and vendor documentation (attribute numbers and types are protocol facts).
 * Where FreeRADIUS uses a different VALUE spelling that operators are likely to type, it is
 * added after the RFC-derived name as an alias (the first name is the one shown on decode).
 */
export const DEFAULT_DICTIONARY_TEXT = `
# ---------------------------------------------------------------- RFC 2865
ATTRIBUTE	User-Name			1	string
ATTRIBUTE	User-Password			2	string	encrypt=1
ATTRIBUTE	CHAP-Password			3	octets
ATTRIBUTE	NAS-IP-Address			4	ipaddr
ATTRIBUTE	NAS-Port			5	integer
ATTRIBUTE	Service-Type			6	integer
ATTRIBUTE	Framed-Protocol			7	integer
ATTRIBUTE	Framed-IP-Address		8	ipaddr
ATTRIBUTE	Framed-IP-Netmask		9	ipaddr
ATTRIBUTE	Framed-Routing			10	integer
ATTRIBUTE	Filter-Id			11	string
ATTRIBUTE	Framed-MTU			12	integer
ATTRIBUTE	Framed-Compression		13	integer
ATTRIBUTE	Login-IP-Host			14	ipaddr
ATTRIBUTE	Login-Service			15	integer
ATTRIBUTE	Login-TCP-Port			16	integer
ATTRIBUTE	Reply-Message			18	string
ATTRIBUTE	Callback-Number			19	string
ATTRIBUTE	Callback-Id			20	string
ATTRIBUTE	Framed-Route			22	string
ATTRIBUTE	Framed-IPX-Network		23	ipaddr
ATTRIBUTE	State				24	octets
ATTRIBUTE	Class				25	octets
ATTRIBUTE	Vendor-Specific			26	octets
ATTRIBUTE	Session-Timeout			27	integer
ATTRIBUTE	Idle-Timeout			28	integer
ATTRIBUTE	Termination-Action		29	integer
ATTRIBUTE	Called-Station-Id		30	string
ATTRIBUTE	Calling-Station-Id		31	string
ATTRIBUTE	NAS-Identifier			32	string
ATTRIBUTE	Proxy-State			33	octets
ATTRIBUTE	Login-LAT-Service		34	string
ATTRIBUTE	Login-LAT-Node			35	string
ATTRIBUTE	Login-LAT-Group			36	octets
ATTRIBUTE	Framed-AppleTalk-Link		37	integer
ATTRIBUTE	Framed-AppleTalk-Network	38	integer
ATTRIBUTE	Framed-AppleTalk-Zone		39	string
ATTRIBUTE	CHAP-Challenge			60	octets
ATTRIBUTE	NAS-Port-Type			61	integer
ATTRIBUTE	Port-Limit			62	integer
ATTRIBUTE	Login-LAT-Port			63	string

# RFC 2865 §5.6 (17 Authorize-Only: RFC 5176 §3.2; 18 Framed-Management: RFC 5607 §4.1)
VALUE	Service-Type	Login-User			1
VALUE	Service-Type	Framed-User			2
VALUE	Service-Type	Callback-Login-User		3
VALUE	Service-Type	Callback-Framed-User		4
VALUE	Service-Type	Outbound-User			5
VALUE	Service-Type	Administrative-User		6
VALUE	Service-Type	NAS-Prompt-User			7
VALUE	Service-Type	Authenticate-Only		8
VALUE	Service-Type	Callback-NAS-Prompt		9
VALUE	Service-Type	Call-Check			10
VALUE	Service-Type	Callback-Administrative		11
VALUE	Service-Type	Authorize-Only			17
VALUE	Service-Type	Framed-Management		18

# RFC 2865 §5.7
VALUE	Framed-Protocol	PPP				1
VALUE	Framed-Protocol	SLIP				2
VALUE	Framed-Protocol	ARAP				3
VALUE	Framed-Protocol	Gandalf-SLML			4
VALUE	Framed-Protocol	Xylogics-IPX-SLIP		5
VALUE	Framed-Protocol	X.75-Synchronous		6

# RFC 2865 §5.10
VALUE	Framed-Routing	None				0
VALUE	Framed-Routing	Broadcast			1
VALUE	Framed-Routing	Listen				2
VALUE	Framed-Routing	Broadcast-Listen		3

# RFC 2865 §5.13
VALUE	Framed-Compression	None			0
VALUE	Framed-Compression	Van-Jacobson-TCP-IP	1
VALUE	Framed-Compression	IPX-Header-Compression	2
VALUE	Framed-Compression	Stac-LZS		3

# RFC 2865 §5.15
VALUE	Login-Service	Telnet				0
VALUE	Login-Service	Rlogin				1
VALUE	Login-Service	TCP-Clear			2
VALUE	Login-Service	PortMaster			3
VALUE	Login-Service	LAT				4
VALUE	Login-Service	X25-PAD				5
VALUE	Login-Service	X25-T3POS			6
VALUE	Login-Service	TCP-Clear-Quiet			8

VALUE	Login-TCP-Port	Telnet				23
VALUE	Login-TCP-Port	Rlogin				513
VALUE	Login-TCP-Port	Rsh				514

# RFC 2865 §5.29
VALUE	Termination-Action	Default			0
VALUE	Termination-Action	RADIUS-Request		1

# RFC 2865 §5.41, RFC 2866 errata / RFC 3580 / RFC 4603 / RFC 4679 additions
VALUE	NAS-Port-Type	Async				0
VALUE	NAS-Port-Type	Sync				1
VALUE	NAS-Port-Type	ISDN				2
VALUE	NAS-Port-Type	ISDN-V120			3
VALUE	NAS-Port-Type	ISDN-V110			4
VALUE	NAS-Port-Type	Virtual				5
VALUE	NAS-Port-Type	PIAFS				6
VALUE	NAS-Port-Type	HDLC-Clear-Channel		7
VALUE	NAS-Port-Type	X.25				8
VALUE	NAS-Port-Type	X.75				9
VALUE	NAS-Port-Type	G.3-Fax				10
VALUE	NAS-Port-Type	SDSL				11
VALUE	NAS-Port-Type	ADSL-CAP			12
VALUE	NAS-Port-Type	ADSL-DMT			13
VALUE	NAS-Port-Type	IDSL				14
VALUE	NAS-Port-Type	Ethernet			15
VALUE	NAS-Port-Type	xDSL				16
VALUE	NAS-Port-Type	Cable				17
VALUE	NAS-Port-Type	Wireless-Other			18
VALUE	NAS-Port-Type	Wireless-802.11			19
VALUE	NAS-Port-Type	Token-Ring			20
VALUE	NAS-Port-Type	FDDI				21
VALUE	NAS-Port-Type	PPPoA				30
VALUE	NAS-Port-Type	PPPoEoA				31
VALUE	NAS-Port-Type	PPPoEoE				32
VALUE	NAS-Port-Type	PPPoEoVLAN			33
VALUE	NAS-Port-Type	PPPoEoQinQ			34

# ---------------------------------------------------------------- RFC 2866
ATTRIBUTE	Acct-Status-Type		40	integer
ATTRIBUTE	Acct-Delay-Time			41	integer
ATTRIBUTE	Acct-Input-Octets		42	integer
ATTRIBUTE	Acct-Output-Octets		43	integer
ATTRIBUTE	Acct-Session-Id			44	string
ATTRIBUTE	Acct-Authentic			45	integer
ATTRIBUTE	Acct-Session-Time		46	integer
ATTRIBUTE	Acct-Input-Packets		47	integer
ATTRIBUTE	Acct-Output-Packets		48	integer
ATTRIBUTE	Acct-Terminate-Cause		49	integer
ATTRIBUTE	Acct-Multi-Session-Id		50	string
ATTRIBUTE	Acct-Link-Count			51	integer

# RFC 2866 §5.1 (9..14: RFC 2867 §4.1; 15: Failed)
VALUE	Acct-Status-Type	Start			1
VALUE	Acct-Status-Type	Stop			2
VALUE	Acct-Status-Type	Interim-Update		3
VALUE	Acct-Status-Type	Accounting-On		7
VALUE	Acct-Status-Type	Accounting-Off		8
VALUE	Acct-Status-Type	Tunnel-Start		9
VALUE	Acct-Status-Type	Tunnel-Stop		10
VALUE	Acct-Status-Type	Tunnel-Reject		11
VALUE	Acct-Status-Type	Tunnel-Link-Start	12
VALUE	Acct-Status-Type	Tunnel-Link-Stop	13
VALUE	Acct-Status-Type	Tunnel-Link-Reject	14
VALUE	Acct-Status-Type	Failed			15

# RFC 2866 §5.6
VALUE	Acct-Authentic	RADIUS				1
VALUE	Acct-Authentic	Local				2
VALUE	Acct-Authentic	Remote				3
VALUE	Acct-Authentic	Diameter			4

# RFC 2866 §5.10 (19..22: RFC 3580 §3.21)
VALUE	Acct-Terminate-Cause	User-Request		1
VALUE	Acct-Terminate-Cause	Lost-Carrier		2
VALUE	Acct-Terminate-Cause	Lost-Service		3
VALUE	Acct-Terminate-Cause	Idle-Timeout		4
VALUE	Acct-Terminate-Cause	Session-Timeout		5
VALUE	Acct-Terminate-Cause	Admin-Reset		6
VALUE	Acct-Terminate-Cause	Admin-Reboot		7
VALUE	Acct-Terminate-Cause	Port-Error		8
VALUE	Acct-Terminate-Cause	NAS-Error		9
VALUE	Acct-Terminate-Cause	NAS-Request		10
VALUE	Acct-Terminate-Cause	NAS-Reboot		11
VALUE	Acct-Terminate-Cause	Port-Unneeded		12
VALUE	Acct-Terminate-Cause	Port-Preempted		13
VALUE	Acct-Terminate-Cause	Port-Suspended		14
VALUE	Acct-Terminate-Cause	Service-Unavailable	15
VALUE	Acct-Terminate-Cause	Callback		16
VALUE	Acct-Terminate-Cause	User-Error		17
VALUE	Acct-Terminate-Cause	Host-Request		18
VALUE	Acct-Terminate-Cause	Supplicant-Restart	19
VALUE	Acct-Terminate-Cause	Reauthentication-Failure	20
VALUE	Acct-Terminate-Cause	Port-Reinit		21
VALUE	Acct-Terminate-Cause	Port-Disabled		22

# ---------------------------------------------------------------- RFC 2867
ATTRIBUTE	Acct-Tunnel-Connection		68	string
ATTRIBUTE	Acct-Tunnel-Packets-Lost	86	integer

# ---------------------------------------------------------------- RFC 2868 (tagged)
ATTRIBUTE	Tunnel-Type			64	integer	has_tag
ATTRIBUTE	Tunnel-Medium-Type		65	integer	has_tag
ATTRIBUTE	Tunnel-Client-Endpoint		66	string	has_tag
ATTRIBUTE	Tunnel-Server-Endpoint		67	string	has_tag
ATTRIBUTE	Tunnel-Password			69	string	has_tag,encrypt=2
ATTRIBUTE	Tunnel-Private-Group-Id		81	string	has_tag
ATTRIBUTE	Tunnel-Assignment-Id		82	string	has_tag
ATTRIBUTE	Tunnel-Preference		83	integer	has_tag
ATTRIBUTE	Tunnel-Client-Auth-Id		90	string	has_tag
ATTRIBUTE	Tunnel-Server-Auth-Id		91	string	has_tag

# RFC 2868 §3.1 (13 VLAN: RFC 3580 §3.31)
VALUE	Tunnel-Type	PPTP				1
VALUE	Tunnel-Type	L2F				2
VALUE	Tunnel-Type	L2TP				3
VALUE	Tunnel-Type	ATMP				4
VALUE	Tunnel-Type	VTP				5
VALUE	Tunnel-Type	AH				6
VALUE	Tunnel-Type	IP				7
VALUE	Tunnel-Type	MIN-IP				8
VALUE	Tunnel-Type	ESP				9
VALUE	Tunnel-Type	GRE				10
VALUE	Tunnel-Type	DVS				11
VALUE	Tunnel-Type	IP-in-IP			12
VALUE	Tunnel-Type	VLAN				13

# RFC 2868 §3.2
VALUE	Tunnel-Medium-Type	IPv4			1
VALUE	Tunnel-Medium-Type	IP			1
VALUE	Tunnel-Medium-Type	IPv6			2
VALUE	Tunnel-Medium-Type	NSAP			3
VALUE	Tunnel-Medium-Type	HDLC			4
VALUE	Tunnel-Medium-Type	BBN-1822		5
VALUE	Tunnel-Medium-Type	IEEE-802		6
VALUE	Tunnel-Medium-Type	E.163			7
VALUE	Tunnel-Medium-Type	E.164			8
VALUE	Tunnel-Medium-Type	F.69			9
VALUE	Tunnel-Medium-Type	X.121			10
VALUE	Tunnel-Medium-Type	IPX			11
VALUE	Tunnel-Medium-Type	Appletalk		12
VALUE	Tunnel-Medium-Type	DecNet-IV		13
VALUE	Tunnel-Medium-Type	Banyan-Vines		14
VALUE	Tunnel-Medium-Type	E.164-NSAP		15

# ---------------------------------------------------------------- RFC 2869
ATTRIBUTE	Acct-Input-Gigawords		52	integer
ATTRIBUTE	Acct-Output-Gigawords		53	integer
ATTRIBUTE	Event-Timestamp			55	date
ATTRIBUTE	ARAP-Password			70	octets[16]
ATTRIBUTE	ARAP-Features			71	octets[14]
ATTRIBUTE	ARAP-Zone-Access		72	integer
ATTRIBUTE	ARAP-Security			73	integer
ATTRIBUTE	ARAP-Security-Data		74	string
ATTRIBUTE	Password-Retry			75	integer
ATTRIBUTE	Prompt				76	integer
ATTRIBUTE	Connect-Info			77	string
ATTRIBUTE	Configuration-Token		78	string
ATTRIBUTE	EAP-Message			79	octets	concat
ATTRIBUTE	Message-Authenticator		80	octets
ATTRIBUTE	ARAP-Challenge-Response		84	octets[8]
ATTRIBUTE	Acct-Interim-Interval		85	integer
ATTRIBUTE	NAS-Port-Id			87	string
ATTRIBUTE	Framed-Pool			88	string

VALUE	ARAP-Zone-Access	Default-Zone		1
VALUE	ARAP-Zone-Access	Zone-Filter-Inclusive	2
VALUE	ARAP-Zone-Access	Zone-Filter-Exclusive	4

VALUE	Prompt		No-Echo				0
VALUE	Prompt		Echo				1

# ---------------------------------------------------------------- RFC 3162
ATTRIBUTE	NAS-IPv6-Address		95	ipv6addr
ATTRIBUTE	Framed-Interface-Id		96	ifid
ATTRIBUTE	Framed-IPv6-Prefix		97	ipv6prefix
ATTRIBUTE	Login-IPv6-Host			98	ipv6addr
ATTRIBUTE	Framed-IPv6-Route		99	string
ATTRIBUTE	Framed-IPv6-Pool		100	string

# ---------------------------------------------------------------- RFC 3576 / RFC 5176 §3.5
ATTRIBUTE	Error-Cause			101	integer

VALUE	Error-Cause	Residual-Session-Context-Removed	201
VALUE	Error-Cause	Residual-Context-Removed		201
VALUE	Error-Cause	Invalid-EAP-Packet			202
VALUE	Error-Cause	Unsupported-Attribute			401
VALUE	Error-Cause	Missing-Attribute			402
VALUE	Error-Cause	NAS-Identification-Mismatch		403
VALUE	Error-Cause	Invalid-Request				404
VALUE	Error-Cause	Unsupported-Service			405
VALUE	Error-Cause	Unsupported-Extension			406
VALUE	Error-Cause	Invalid-Attribute-Value			407
VALUE	Error-Cause	Administratively-Prohibited		501
VALUE	Error-Cause	Request-Not-Routable			502
VALUE	Error-Cause	Proxy-Request-Not-Routable		502
VALUE	Error-Cause	Session-Context-Not-Found		503
VALUE	Error-Cause	Session-Context-Not-Removable		504
VALUE	Error-Cause	Other-Proxy-Processing-Error		505
VALUE	Error-Cause	Proxy-Processing-Error			505
VALUE	Error-Cause	Resources-Unavailable			506
VALUE	Error-Cause	Request-Initiated			507
VALUE	Error-Cause	Multiple-Session-Selection-Unsupported	508

# ---------------------------------------------------------------- RFC 4072, 4372, 4675, 4818, 4849, 6911
# Chargeable-User-Identity and EAP-Key-Name are opaque octets in their RFCs.
ATTRIBUTE	Chargeable-User-Identity	89	octets
ATTRIBUTE	EAP-Key-Name			102	octets
ATTRIBUTE	Egress-VLANID			56	integer
ATTRIBUTE	Ingress-Filters			57	integer
ATTRIBUTE	Egress-VLAN-Name		58	string
ATTRIBUTE	User-Priority-Table		59	octets[8]
ATTRIBUTE	NAS-Filter-Rule			92	string
ATTRIBUTE	Delegated-IPv6-Prefix		123	ipv6prefix
ATTRIBUTE	Framed-IPv6-Address		168	ipv6addr
ATTRIBUTE	DNS-Server-IPv6-Address		169	ipv6addr
ATTRIBUTE	Route-IPv6-Information		170	ipv6prefix
ATTRIBUTE	Delegated-IPv6-Prefix-Pool	171	string
ATTRIBUTE	Stateful-IPv6-Address-Pool	172	string

VALUE	Ingress-Filters	Enabled				1
VALUE	Ingress-Filters	Disabled			2

# RFC 5580 §4.1
ATTRIBUTE	Operator-Name			126	string

# ---------------------------------------------------------------- ADSL-Forum / Broadband Forum (RFC 4679)
VENDOR		ADSL-Forum			3561
BEGIN-VENDOR	ADSL-Forum
ATTRIBUTE	ADSL-Agent-Circuit-Id		1	string
ATTRIBUTE	ADSL-Agent-Remote-Id		2	string
ATTRIBUTE	Actual-Data-Rate-Upstream	129	integer
ATTRIBUTE	Actual-Data-Rate-Downstream	130	integer
ATTRIBUTE	Minimum-Data-Rate-Upstream	131	integer
ATTRIBUTE	Minimum-Data-Rate-Downstream	132	integer
ATTRIBUTE	Attainable-Data-Rate-Upstream	133	integer
ATTRIBUTE	Attainable-Data-Rate-Downstream	134	integer
ATTRIBUTE	Maximum-Data-Rate-Upstream	135	integer
ATTRIBUTE	Maximum-Data-Rate-Downstream	136	integer
ATTRIBUTE	Minimum-Data-Rate-Upstream-Low-Power	137	integer
ATTRIBUTE	Minimum-Data-Rate-Downstream-Low-Power	138	integer
ATTRIBUTE	Maximum-Interleaving-Delay-Upstream	139	integer
ATTRIBUTE	Actual-Interleaving-Delay-Upstream	140	integer
ATTRIBUTE	Maximum-Interleaving-Delay-Downstream	141	integer
ATTRIBUTE	Actual-Interleaving-Delay-Downstream	142	integer
ATTRIBUTE	Access-Loop-Encapsulation	144	octets
END-VENDOR	ADSL-Forum

# ---------------------------------------------------------------- Microsoft (RFC 2548)
VENDOR		Microsoft			311
BEGIN-VENDOR	Microsoft
ATTRIBUTE	MS-CHAP-Response		1	octets
ATTRIBUTE	MS-CHAP-Error			2	string
ATTRIBUTE	MS-CHAP-CPW-1			3	octets
ATTRIBUTE	MS-CHAP-CPW-2			4	octets
ATTRIBUTE	MS-CHAP-LM-Enc-PW		5	octets
ATTRIBUTE	MS-CHAP-NT-Enc-PW		6	octets
ATTRIBUTE	MS-MPPE-Encryption-Policy	7	integer
ATTRIBUTE	MS-MPPE-Encryption-Types	8	integer
ATTRIBUTE	MS-RAS-Vendor			9	integer
ATTRIBUTE	MS-CHAP-Domain			10	string
ATTRIBUTE	MS-CHAP-Challenge		11	octets
ATTRIBUTE	MS-CHAP-MPPE-Keys		12	octets	encrypt=1
ATTRIBUTE	MS-BAP-Usage			13	integer
ATTRIBUTE	MS-Link-Utilization-Threshold	14	integer
ATTRIBUTE	MS-Link-Drop-Time-Limit		15	integer
ATTRIBUTE	MS-MPPE-Send-Key		16	octets	encrypt=2
ATTRIBUTE	MS-MPPE-Recv-Key		17	octets	encrypt=2
ATTRIBUTE	MS-RAS-Version			18	string
ATTRIBUTE	MS-Old-ARAP-Password		19	octets
ATTRIBUTE	MS-New-ARAP-Password		20	octets
ATTRIBUTE	MS-ARAP-PW-Change-Reason	21	integer
ATTRIBUTE	MS-Filter			22	octets
ATTRIBUTE	MS-Acct-Auth-Type		23	integer
ATTRIBUTE	MS-Acct-EAP-Type		24	integer
ATTRIBUTE	MS-CHAP2-Response		25	octets
ATTRIBUTE	MS-CHAP2-Success		26	octets
ATTRIBUTE	MS-CHAP2-CPW			27	octets
ATTRIBUTE	MS-Primary-DNS-Server		28	ipaddr
ATTRIBUTE	MS-Secondary-DNS-Server		29	ipaddr
ATTRIBUTE	MS-Primary-NBNS-Server		30	ipaddr
ATTRIBUTE	MS-Secondary-NBNS-Server	31	ipaddr

VALUE	MS-MPPE-Encryption-Policy	Encryption-Allowed	1
VALUE	MS-MPPE-Encryption-Policy	Encryption-Required	2
VALUE	MS-MPPE-Encryption-Types	RC4-40bit-Allowed	1
VALUE	MS-MPPE-Encryption-Types	RC4-128bit-Allowed	2
VALUE	MS-MPPE-Encryption-Types	RC4-40or128-bit-Allowed	6
VALUE	MS-BAP-Usage		Not-Allowed		0
VALUE	MS-BAP-Usage		Allowed			1
VALUE	MS-BAP-Usage		Required		2
VALUE	MS-ARAP-PW-Change-Reason	Just-Change-Password	1
VALUE	MS-ARAP-PW-Change-Reason	Expired-Password	2
VALUE	MS-ARAP-PW-Change-Reason	Admin-Requires-Password-Change	3
VALUE	MS-ARAP-PW-Change-Reason	Password-Too-Short	4
VALUE	MS-Acct-Auth-Type	PAP			1
VALUE	MS-Acct-Auth-Type	CHAP			2
VALUE	MS-Acct-Auth-Type	MS-CHAP-1		3
VALUE	MS-Acct-Auth-Type	MS-CHAP-2		4
VALUE	MS-Acct-Auth-Type	EAP			5
VALUE	MS-Acct-EAP-Type	MD5			4
VALUE	MS-Acct-EAP-Type	OTP			5
VALUE	MS-Acct-EAP-Type	Generic-Token-Card	6
VALUE	MS-Acct-EAP-Type	TLS			13
END-VENDOR	Microsoft

# ---------------------------------------------------------------- Cisco (IOS RADIUS VSA reference)
VENDOR		Cisco				9
BEGIN-VENDOR	Cisco
ATTRIBUTE	Cisco-AVPair			1	string
ATTRIBUTE	Cisco-NAS-Port			2	string
ATTRIBUTE	h323-remote-address		23	string
ATTRIBUTE	h323-conf-id			24	string
ATTRIBUTE	h323-setup-time			25	string
ATTRIBUTE	h323-call-origin		26	string
ATTRIBUTE	h323-call-type			27	string
ATTRIBUTE	h323-connect-time		28	string
ATTRIBUTE	h323-disconnect-time		29	string
ATTRIBUTE	h323-disconnect-cause		30	string
ATTRIBUTE	h323-voice-quality		31	string
ATTRIBUTE	h323-gw-id			33	string
ATTRIBUTE	h323-incoming-conf-id		35	string
ATTRIBUTE	Cisco-Multilink-ID		187	integer
ATTRIBUTE	Cisco-Num-In-Multilink		188	integer
ATTRIBUTE	Cisco-Pre-Input-Octets		190	integer
ATTRIBUTE	Cisco-Pre-Output-Octets		191	integer
ATTRIBUTE	Cisco-Pre-Input-Packets		192	integer
ATTRIBUTE	Cisco-Pre-Output-Packets	193	integer
ATTRIBUTE	Cisco-Maximum-Time		194	integer
ATTRIBUTE	Cisco-Disconnect-Cause		195	integer
ATTRIBUTE	Cisco-Data-Rate			197	integer
ATTRIBUTE	Cisco-PreSession-Time		198	integer
ATTRIBUTE	Cisco-PW-Lifetime		208	integer
ATTRIBUTE	Cisco-IP-Direct			209	integer
ATTRIBUTE	Cisco-PPP-VJ-Slot-Comp		210	integer
ATTRIBUTE	Cisco-PPP-Async-Map		212	integer
ATTRIBUTE	Cisco-IP-Pool-Definition	217	string
ATTRIBUTE	Cisco-Assign-IP-Pool		218	integer
ATTRIBUTE	Cisco-Route-IP			228	integer
ATTRIBUTE	Cisco-Link-Compression		233	integer
ATTRIBUTE	Cisco-Target-Util		234	integer
ATTRIBUTE	Cisco-Maximum-Channels		235	integer
ATTRIBUTE	Cisco-Data-Filter		242	integer
ATTRIBUTE	Cisco-Call-Filter		243	integer
ATTRIBUTE	Cisco-Idle-Limit		244	integer
ATTRIBUTE	Cisco-Account-Info		250	string
ATTRIBUTE	Cisco-Service-Info		251	string
ATTRIBUTE	Cisco-Command-Code		252	string
ATTRIBUTE	Cisco-Control-Info		253	string
ATTRIBUTE	Cisco-Xmit-Rate			255	integer
END-VENDOR	Cisco

# ---------------------------------------------------------------- Juniper (Junos user access)
VENDOR		Juniper				2636
BEGIN-VENDOR	Juniper
ATTRIBUTE	Juniper-Local-User-Name		1	string
ATTRIBUTE	Juniper-Allow-Commands		2	string
ATTRIBUTE	Juniper-Deny-Commands		3	string
ATTRIBUTE	Juniper-Allow-Configuration	4	string
ATTRIBUTE	Juniper-Deny-Configuration	5	string
ATTRIBUTE	Juniper-Interactive-Command	8	string
ATTRIBUTE	Juniper-Configuration-Change	9	string
ATTRIBUTE	Juniper-User-Permissions	10	string
ATTRIBUTE	Juniper-Primary-Dns		31	ipaddr
ATTRIBUTE	Juniper-Primary-Wins		32	ipaddr
ATTRIBUTE	Juniper-Secondary-Dns		33	ipaddr
ATTRIBUTE	Juniper-Secondary-Wins		34	ipaddr
ATTRIBUTE	Juniper-Interface-Id		35	string
ATTRIBUTE	Juniper-Ip-Pool-Name		36	string
END-VENDOR	Juniper

# ---------------------------------------------------------------- MikroTik (RouterOS RADIUS client)
VENDOR		Mikrotik			14988
BEGIN-VENDOR	Mikrotik
ATTRIBUTE	Mikrotik-Recv-Limit		1	integer
ATTRIBUTE	Mikrotik-Xmit-Limit		2	integer
ATTRIBUTE	Mikrotik-Group			3	string
ATTRIBUTE	Mikrotik-Wireless-Forward	4	integer
ATTRIBUTE	Mikrotik-Wireless-Skip-Dot1x	5	integer
ATTRIBUTE	Mikrotik-Wireless-Enc-Algo	6	integer
ATTRIBUTE	Mikrotik-Wireless-Enc-Key	7	string
ATTRIBUTE	Mikrotik-Rate-Limit		8	string
ATTRIBUTE	Mikrotik-Realm			9	string
ATTRIBUTE	Mikrotik-Host-IP		10	ipaddr
ATTRIBUTE	Mikrotik-Mark-Id		11	string
ATTRIBUTE	Mikrotik-Advertise-URL		12	string
ATTRIBUTE	Mikrotik-Advertise-Interval	13	integer
ATTRIBUTE	Mikrotik-Recv-Limit-Gigawords	14	integer
ATTRIBUTE	Mikrotik-Xmit-Limit-Gigawords	15	integer
ATTRIBUTE	Mikrotik-Wireless-PSK		16	string
ATTRIBUTE	Mikrotik-Total-Limit		17	integer
ATTRIBUTE	Mikrotik-Total-Limit-Gigawords	18	integer
ATTRIBUTE	Mikrotik-Address-List		19	string
ATTRIBUTE	Mikrotik-Wireless-MPKey		20	string
ATTRIBUTE	Mikrotik-Wireless-Comment	21	string
ATTRIBUTE	Mikrotik-Delegated-IPv6-Pool	22	string
ATTRIBUTE	Mikrotik-DHCP-Option-Set	23	string
ATTRIBUTE	Mikrotik-DHCP-Option-Param-STR1	24	string
ATTRIBUTE	Mikrotik-DHCP-Option-Param-STR2	25	string
ATTRIBUTE	Mikrotik-Wireless-VLANID	26	integer
ATTRIBUTE	Mikrotik-Wireless-VLANIDtype	27	integer
ATTRIBUTE	Mikrotik-Wireless-Minsignal	28	string
ATTRIBUTE	Mikrotik-Wireless-Maxsignal	29	string
ATTRIBUTE	Mikrotik-Switching-Filter	30	string

VALUE	Mikrotik-Wireless-Enc-Algo	No-encryption	0
VALUE	Mikrotik-Wireless-Enc-Algo	40-bit-WEP	1
VALUE	Mikrotik-Wireless-Enc-Algo	104-bit-WEP	2
VALUE	Mikrotik-Wireless-Enc-Algo	AES-CCM		3
VALUE	Mikrotik-Wireless-Enc-Algo	TKIP		4
VALUE	Mikrotik-Wireless-VLANIDtype	802.1q		0
VALUE	Mikrotik-Wireless-VLANIDtype	802.1ad		1
END-VENDOR	Mikrotik

# ---------------------------------------------------------------- WISPr (Wi-Fi Alliance WISPr 1.0, appendix D)
VENDOR		WISPr				14122
BEGIN-VENDOR	WISPr
ATTRIBUTE	WISPr-Location-ID		1	string
ATTRIBUTE	WISPr-Location-Name		2	string
ATTRIBUTE	WISPr-Logoff-URL		3	string
ATTRIBUTE	WISPr-Redirection-URL		4	string
ATTRIBUTE	WISPr-Bandwidth-Min-Up		5	integer
ATTRIBUTE	WISPr-Bandwidth-Min-Down	6	integer
ATTRIBUTE	WISPr-Bandwidth-Max-Up		7	integer
ATTRIBUTE	WISPr-Bandwidth-Max-Down	8	integer
ATTRIBUTE	WISPr-Session-Terminate-Time	9	string
ATTRIBUTE	WISPr-Session-Terminate-End-Of-Day	10	string
ATTRIBUTE	WISPr-Billing-Class-Of-Service	11	string
END-VENDOR	WISPr
`;
